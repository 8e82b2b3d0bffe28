"""Who is calling, and may they? Authentication and role checks for the API and the UI.

API (DRF, wired as defaults in settings.REST_FRAMEWORK):
- `APIKeyAuthentication`: `X-API-Key: <key>` or `Authorization: Bearer <key>`; keys from
  `HARMONY_API_KEYS` (admin) or the database (`accounts.APIKey`, its own role). Never the
  query string. Wrong keys are counted per IP and answered 429 past `API_KEY_FAILURE_LIMIT`.
- `SessionAuthentication`: a logged-in UI user (DRF enforces CSRF for it).
- Permissions: `IsViewer` (viewer for every method), `IsOperator` (viewer reads, operator
  writes), `IsAdmin` (admin for every method, reads included), and the default
  `IsViewerReadAdminWrite` (viewer reads, admin writes) so a view that forgets to choose is
  never more open than that. In open mode (no API key and no account exist) they all allow;
  `accounts.origins` keeps other web sites out of that mode.

UI (function views): every `/ui/` page already needs a login with at least the viewer role
(`accounts.middleware.UILoginRequiredMiddleware`); `@role_required("operator")` narrows a view.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hmac
import ipaddress
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import APIKey
from accounts.roles import Role, has_role, user_role
from harmony_site.config import get_config

__all__ = [
    "APIKeyAuthentication",
    "ApiKeyPrincipal",
    "CallerRateThrottle",
    "IsAdmin",
    "IsOperator",
    "IsViewer",
    "IsViewerReadAdminWrite",
    "SessionAuthentication",
    "actor_for",
    "api_auth_mode",
    "client_ip",
    "role_required",
]

logger = logging.getLogger("hdm.auth")

QUERY_KEY_NAMES = ("api_key", "apikey", "key", "token", "access_token")
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write per key per minute


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """`request.user` for a caller authenticated by an API key (not a Django user)."""

    name: str
    role: Role
    key_id: str | None = None  # None for keys from HARMONY_API_KEYS
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def username(self) -> str:
        return f"apikey:{self.name}"

    def get_username(self) -> str:
        return self.username


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address; behind a trusted proxy, the one the proxy appended last.

    None when there is no valid address (a request built in-process, a garbled header): axes
    stores it in an IP column, which PostgreSQL refuses to fill with anything else.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    if get_config()["BEHIND_PROXY"]:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            candidate = hops[-1]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def actor_for(user: Any) -> str:
    """The audit-trail actor for a user or principal: `user:alice`, `apikey:ci`, `anonymous`."""
    if isinstance(user, ApiKeyPrincipal):
        return user.username
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.get_username()}"
    return "anonymous"


def api_auth_mode() -> Literal["open", "keys"]:
    """`open` while no API key and no UI account exist; `keys` from then on.

    Once roles exist, a session must act with its own role (a viewer never writes through the
    API). Revoked keys and disabled users still count: revoking every key or disabling every
    user does not reopen the API, which would be a silent downgrade.
    """
    if get_config()["HARMONY_API_KEYS"] or APIKey.objects.exists():
        return "keys"
    if get_user_model().objects.exists():
        return "keys"
    return "open"


# --- authentication ---------------------------------------------------------------------


def _presented_key(request: Request) -> str | None:
    header = request.META.get("HTTP_X_API_KEY", "").strip()
    if header:
        return header
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


@contextlib.contextmanager
def _failure_lock() -> Iterator[None]:
    """Serialise key checks across this host's workers and threads (the cache is per host).

    Checking the count, checking the key and counting a failure happen as one step, so
    concurrent guesses cannot all pass a check made before any of them was counted.
    """
    with open(Path(settings.CONFIG_DIR) / ".apikey-failures.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _failure_cache_key(request: Request) -> str:
    return f"harmony:apikey-failures:{client_ip(request)}"


def _refuse_if_too_many_failures(request: Request) -> None:
    if (cache.get(_failure_cache_key(request)) or 0) >= settings.API_KEY_FAILURE_LIMIT:
        raise exceptions.Throttled(
            wait=settings.API_KEY_FAILURE_WINDOW_S,
            detail="Too many wrong API keys from this address; try again later.",
        )


def _count_failure(request: Request, code: str) -> None:
    key = _failure_cache_key(request)
    cache.add(key, 0, timeout=settings.API_KEY_FAILURE_WINDOW_S)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.API_KEY_FAILURE_WINDOW_S)
    logger.warning("hdm.auth.api_key_refused", extra={"code": code, "ip": client_ip(request)})


def _match_configured_key(presented: str) -> bool:
    # Compare against every configured key so timing does not reveal which one matched.
    matched = False
    for configured in get_config()["HARMONY_API_KEYS"]:
        matched |= hmac.compare_digest(presented.encode(), configured.encode())
    return matched


def _match_database_key(presented: str) -> APIKey:
    prefix, dot, _ = presented.partition(".")
    if not dot:
        raise exceptions.AuthenticationFailed("Invalid API key.", code="invalid_api_key")
    key = APIKey.objects.filter(prefix=prefix).first()
    if key is None or not key.is_valid(presented):
        raise exceptions.AuthenticationFailed("Invalid API key.", code="invalid_api_key")
    if key.revoked:
        raise exceptions.AuthenticationFailed("This API key was revoked.", code="api_key_revoked")
    if key.has_expired:
        raise exceptions.AuthenticationFailed("This API key has expired.", code="api_key_expired")
    return key


def _touch_last_used(key: APIKey) -> None:
    now = timezone.now()
    if key.last_used is not None and key.last_used >= now - LAST_USED_RESOLUTION:
        return  # fresh enough: no write statement (and no SQLite write lock) on this request
    # A conditional UPDATE: busy clients cost one write a minute, not one per request.
    stale = APIKey.objects.filter(pk=key.pk)
    stale = stale.filter(last_used__isnull=True) | stale.filter(
        last_used__lt=now - LAST_USED_RESOLUTION
    )
    stale.update(last_used=now)


class APIKeyAuthentication(BaseAuthentication):
    """Authenticate `X-API-Key` / `Authorization: Bearer` callers; refuse keys in the URL."""

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, Any] | None:
        if any(name in request.query_params for name in QUERY_KEY_NAMES):
            raise exceptions.AuthenticationFailed(
                "API keys are never accepted in the URL; send the X-API-Key header.",
                code="api_key_in_query",
            )
        presented = _presented_key(request)
        if presented is None:
            return None
        with _failure_lock():
            _refuse_if_too_many_failures(request)
            if _match_configured_key(presented):
                return ApiKeyPrincipal(name="env", role="admin"), None
            try:
                key = _match_database_key(presented)
            except exceptions.AuthenticationFailed as exc:
                _count_failure(request, str(exc.get_codes()))
                raise
        _touch_last_used(key)
        return ApiKeyPrincipal(name=key.name, role=key.role, key_id=key.pk), key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to callers without credentials.
        return 'Bearer realm="harmony"'


# --- permissions ------------------------------------------------------------------------


class _RolePermission(BasePermission):
    read_role: Role = "viewer"
    write_role: Role = "admin"

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = self.read_role if request.method in SAFE_METHODS else self.write_role
        # A caller holding the role passes in either mode; checking it first spares the
        # open-mode query (does any key exist?) on every authenticated request.
        if request.user and has_role(request.user, needed):
            return True
        if api_auth_mode() == "open":
            return True
        if not request.user or not request.user.is_authenticated:
            return False  # DRF turns this into 401 with the authenticate header
        self.message = f"This needs the {needed} role."
        return False


class IsViewer(_RolePermission):
    """Viewer or above for every method (read-only endpoints, or harmless POSTs)."""

    write_role: Role = "viewer"


class IsOperator(_RolePermission):
    """Viewers may read; operators and admins may write (jobs, scans, watchlists)."""

    write_role: Role = "operator"


class IsAdmin(_RolePermission):
    """Admin only, reads included (settings, API keys, users)."""

    read_role: Role = "admin"


class IsViewerReadAdminWrite(_RolePermission):
    """The default: viewers read, only admins write."""


class CallerRateThrottle(SimpleRateThrottle):
    """`API_THROTTLE_RATE` per caller (API key, user, else IP); off when the knob is empty."""

    scope = "caller"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if isinstance(user, ApiKeyPrincipal):
            ident = user.username
        elif user is not None and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = f"ip:{client_ip(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


# --- UI views ---------------------------------------------------------------------------


def login_redirect(request: HttpRequest) -> HttpResponse:
    """Send an anonymous caller to the login page (HTMX: a full-page client redirect)."""
    response = redirect_to_login(request.get_full_path())
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(response["Location"])
    return response


def role_required(
    role: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Guard a function view: anonymous → login page; logged in without `role` → 403 page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return login_redirect(request)
            if not has_role(request.user, role):
                raise PermissionDenied(f"This page needs the {role} role.")
            return view(request, *args, **kwargs)

        return guarded

    return decorator


def current_role(request: HttpRequest) -> Role | None:
    """The role of the request's user (for templates: show only the buttons it may use)."""
    return user_role(request.user)
