"""One error shape for the whole API: `{"error": {"code", "message", "details"}}`.

`api_exception_handler` (settings `REST_FRAMEWORK["EXCEPTION_HANDLER"]`) renders every DRF
exception, Django's `Http404`/`PermissionDenied`/`ValidationError`, provider errors and any
unhandled exception raised in a DRF view. `error_response` builds the same body for the
middleware that guards the non-DRF parts of `/api/` (see `harmony_site/api/middleware.py`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotConfigured,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)

logger = logging.getLogger("hdm.api")

# Codes for statuses reached without an exception carrying its own code.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "throttled",
    500: "server_error",
    502: "provider_error",
    503: "unavailable",
}


class ApiError(exceptions.APIException):
    """An API failure with an explicit status, machine-readable code and details.

    `raise ApiError("Key set in the environment", code="env_override", status=409,
    details={"keys": [...]})`.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int = 400,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status
        self.error_code = code
        self.details = details or {}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error body: `{"error": {"code": ..., "message": ..., "details": {...}}}`."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    status_code: int, message: str, *, code: str = "", details: dict[str, Any] | None = None
) -> JsonResponse:
    """A plain Django JSON response in the error shape (for middleware and non-DRF views)."""
    body = error_body(code or STATUS_CODES.get(status_code, "error"), message, details)
    return JsonResponse(body, status=status_code)


def _validation_details(detail: Any) -> dict[str, Any]:
    # Field errors keep DRF's layout ({"field": ["message", ...]}); a bare list or string
    # (a non-field error) lands under "non_field_errors" so details is always an object.
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def _first_message(details: Any) -> str:
    if isinstance(details, dict):
        for field, value in details.items():
            text = _first_message(value)
            return text if field == "non_field_errors" else f"{field}: {text}"
    if isinstance(details, list) and details:
        return _first_message(details[0])
    return str(details)


def _from_api_exception(exc: exceptions.APIException) -> tuple[str, str, dict[str, Any]]:
    if isinstance(exc, ApiError):
        return exc.error_code, str(exc.detail), exc.details
    if isinstance(exc, exceptions.ValidationError):
        details = _validation_details(exc.detail)
        return "validation_error", f"Invalid input: {_first_message(details)}", details
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    details: dict[str, Any] = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details["retry_after"] = int(exc.wait)
    return code, str(exc.detail), details


def _convert(exc: Exception) -> exceptions.APIException | None:
    """Map non-DRF exceptions a view may let through onto API exceptions."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, ProviderError):
        return _from_provider_error(exc)
    return None


def _from_provider_error(exc: ProviderError) -> ApiError:
    provider = exc.provider or "provider"
    details: dict[str, Any] = {"provider": provider}
    if isinstance(exc, ProviderNotConfigured):
        return ApiError(exc.message, code="provider_not_configured", status=409, details=details)
    if isinstance(exc, ProviderRateLimited):
        details["retry_after"] = int(exc.retry_after)
        return ApiError(exc.message, code="provider_rate_limited", status=503, details=details)
    if isinstance(exc, ProviderUnavailable):
        return ApiError(exc.message, code="provider_unavailable", status=503, details=details)
    if isinstance(exc, ProviderAuthError):
        return ApiError(exc.message, code="provider_auth_failed", status=502, details=details)
    if isinstance(exc, ProviderNotFound):
        return ApiError(exc.message, code="provider_not_found", status=404, details=details)
    return ApiError(exc.message, code="provider_error", status=502, details=details)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every failure of an API view in the one error shape."""
    converted = exc if isinstance(exc, exceptions.APIException) else _convert(exc)
    set_rollback()  # under ATOMIC_REQUESTS a failed request must not commit half its writes
    if converted is None:
        view = type(context.get("view")).__name__
        # The traceback goes to the log only; the client learns nothing about the internals.
        logger.exception("hdm.api.unhandled_error", extra={"view": view})
        body = error_body("server_error", "Internal server error; see the server log.")
        return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    code, message, details = _from_api_exception(converted)
    headers: dict[str, str] = {}
    if getattr(converted, "auth_header", None):
        headers["WWW-Authenticate"] = converted.auth_header
    if "retry_after" in details:
        headers["Retry-After"] = str(details["retry_after"])
    return Response(
        error_body(code, message, details), status=converted.status_code, headers=headers
    )
