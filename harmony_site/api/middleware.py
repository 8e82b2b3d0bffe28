"""Guards for everything under `/api/` that DRF's exception handler never sees.

- Chunked bodies (no Content-Length) are refused with 411: WSGI would read them as empty.
- Bodies larger than `API_MAX_BODY_BYTES` (by Content-Length) are refused with 413 before any
  view reads them (DRF's parsers read the stream directly, past Django's own upload limit).
- Any error response that is not JSON — Django's 404 for an unknown URL, 405 from a plain view,
  400 for a bad Host header, 403 from CSRF — is replaced by the JSON error shape, and an
  unhandled exception becomes a JSON 500: an API client never receives an HTML page.
- Timestamps render in UTC (`...Z`) whatever `TIME_ZONE` the UI uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC
from http import HTTPStatus

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import timezone

from harmony_site.api.exceptions import error_response
from harmony_site.config import get_config

logger = logging.getLogger("hdm.api")

API_PREFIX = "/api/"


def is_api_path(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _is_json(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _as_json_error(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    status = response.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    message = f"{phrase}: {request.method} {request.path}" if status in (404, 405) else phrase
    replacement = error_response(status, f"{message}.", details={"path": request.path})
    # Keep the headers that carry meaning for the client (Allow on 405, Retry-After on 429).
    for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
        if header in response:
            replacement[header] = response[header]
    return replacement


class ApiErrorMiddleware:
    """JSON errors, a body-size limit and UTC timestamps for every path under `/api/`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_api_path(request):
            return self.get_response(request)
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            # WSGI reads a body by its Content-Length; a chunked body would arrive empty.
            return error_response(
                411,
                "Send the request body with a Content-Length header; chunked bodies are refused.",
                code="length_required",
            )
        limit = get_config()["API_MAX_BODY_BYTES"]
        if _declared_length(request) > limit:
            return error_response(
                413,
                f"Request body larger than {limit} bytes.",
                details={"max_bytes": limit},
            )
        with timezone.override(UTC):
            response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            return _as_json_error(request, response)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponseBase | None:
        if not is_api_path(request):
            return None
        if isinstance(exc, RequestDataTooBig):
            return error_response(413, str(exc))
        if isinstance(exc, Http404 | PermissionDenied | BadRequest | SuspiciousOperation):
            return None  # Django answers 404/403/400; __call__ then turns that page into JSON
        logger.exception("hdm.api.unhandled_error", extra={"path": request.path_info})
        return error_response(500, "Internal server error; see the server log.")
