"""Open mode without the attack: no other web page may use an API that asks for no key.

While the API is open (`accounts.auth.api_auth_mode()`), anything that can reach port 8080
may call it, which the quickstart wants for `curl` and the UI. A web page on another origin
that a person on the LAN happens to open can reach it too, through that person's browser.
Browsers say where a request comes from (`Origin`, `Sec-Fetch-Site`), so such requests are
refused here, reads included, as is every CORS preflight, unless the origin is listed in
`ALLOWED_ORIGINS`. Non-browser clients send neither header and are not affected.

Once a key or an account exists, every caller needs credentials anyway, and `ALLOWED_ORIGINS`
keeps its CORS meaning (`*`: any page may call the API with a key it already holds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from accounts.auth import api_auth_mode, client_ip
from harmony_site.api.exceptions import error_response

logger = logging.getLogger("hdm.auth")

GUARDED_PREFIXES = ("/api/", "/env")
FOREIGN_FETCH_SITES = ("cross-site", "same-site")  # same-site: another port or subdomain


def is_preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "access-control-request-method" in request.headers


def _listed(origin: str) -> bool:
    listed = {*settings.CORS_ALLOWED_ORIGINS, *settings.CSRF_TRUSTED_ORIGINS}
    return origin.lower().rstrip("/") in {o.lower().rstrip("/") for o in listed}


def _is_own(origin: str, request: HttpRequest) -> bool:
    # Same host and port as the request; the scheme may differ behind a TLS proxy.
    host = request.get_host().lower()  # the host guard already vetted it
    try:
        netloc = urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    return bool(host) and netloc == host


def foreign_origin(request: HttpRequest) -> str | None:
    """The other site a browser request comes from, or None (same origin, or not a browser)."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return None if _is_own(origin, request) or _listed(origin) else origin
    fetch_site = request.headers.get("Sec-Fetch-Site", "").lower()
    return fetch_site if fetch_site in FOREIGN_FETCH_SITES else None


class OpenModeOriginMiddleware:
    """In open mode, refuse cross-origin browser requests and preflights to the API (403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(GUARDED_PREFIXES):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponseBase | None:
        origin = foreign_origin(request)
        preflight = is_preflight(request)
        listed_preflight = preflight and _listed(request.headers.get("Origin", ""))
        if (origin is None and not preflight) or listed_preflight:
            return None
        if api_auth_mode() != "open":
            return None  # credentials are needed anyway; CORS rules apply as configured
        logger.warning(
            "hdm.auth.cross_origin_refused",
            extra={"origin": origin or "", "path": request.path_info, "ip": client_ip(request)},
        )
        return error_response(
            403,
            "The API is open (no API key or account exists yet), so it refuses requests from "
            "other web sites. Create an API key or an account, or list the origin in "
            "ALLOWED_ORIGINS.",
            code="cross_origin_refused",
            details={"origin": origin or ""},
        )
