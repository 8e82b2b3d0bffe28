"""Say it loudly: how exposed this installation is, for people and for deploy checks.

`exposure_warnings()` is the one list behind the `manage.py check --deploy` warnings
(`harmony.W001`–`W003`), the lines `harmony_check` prints, and the UI banner
(`api_open_banner`, a template context processor) shown on every page while the API is open.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError
from django.http import HttpRequest

from accounts.auth import api_auth_mode
from harmony_site.config import get_config

OPEN_API = "harmony.W001"
ANY_HOST = "harmony.W002"
ANY_ORIGIN = "harmony.W003"

_MESSAGES = {
    OPEN_API: (
        "The API is open: no API key and no account exist, so anyone who can reach Harmony "
        "may use it.",
        "Create the first admin (the setup link in the start-up log) or an API key "
        "(manage.py harmony_apikey create); docs/operations/security.md.",
    ),
    ANY_HOST: (
        "ALLOWED_HOSTS contains *: Harmony answers to any host name, so a DNS-rebinding web "
        "page can reach it.",
        "Remove * and list the names Harmony is reached by (IP addresses always work).",
    ),
    ANY_ORIGIN: (
        "ALLOWED_ORIGINS is *: any web site may call the API from a browser with a key it holds.",
        "List the origins of the web apps that call Harmony, e.g. "
        "ALLOWED_ORIGINS=https://homeassistant.example.org.",
    ),
}


def api_is_open() -> bool | None:
    """True while the API is open; None when the database cannot tell (not migrated yet)."""
    try:
        return api_auth_mode() == "open"
    except DatabaseError:
        return None


def exposure_warnings() -> list[tuple[str, str, str]]:
    """(id, message, hint) for every exposure of this installation's configuration."""
    config = get_config()
    found = []
    if api_is_open():
        found.append(OPEN_API)
    if "*" in config["ALLOWED_HOSTS"]:
        found.append(ANY_HOST)
    if "*" in config["ALLOWED_ORIGINS"]:
        found.append(ANY_ORIGIN)
    return [(ident, *_MESSAGES[ident]) for ident in found]


@register(Tags.security, deploy=True)
def check_exposure(app_configs: Any = None, **kwargs: Any) -> list[CheckWarning]:
    """`manage.py check --deploy`: the open API, any host, any origin."""
    return [CheckWarning(msg, hint=hint, id=ident) for ident, msg, hint in exposure_warnings()]


def api_open_banner(request: HttpRequest) -> dict[str, Any]:
    """Template context: `api_open`, looked up only by pages that render it.

    A signed-in user is an account, so the API cannot be open: no query on ordinary pages.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return {"api_open": False}
    return {"api_open": api_is_open}
