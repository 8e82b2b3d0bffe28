"""Notifications through Apprise: one URL per target reaches e-mail, Discord, Telegram, ntfy,
Gotify, Pushover and a hundred other services (https://github.com/caronc/apprise/wiki).

Apprise URLs carry the service's credentials, so they are stored encrypted and shown only
through `apprise_hint`, Apprise's own privacy form without the query string.
"""

from __future__ import annotations

import logging
from typing import Any

from providers.errors import ProviderResponseError, ProviderUnavailable


def _apprise() -> Any:
    # Imported on first use: loading Apprise's hundred plugins takes half a second, which every
    # process start (web workers, manage.py) would otherwise pay.
    import apprise

    return apprise


def apprise_plugin(url: str) -> Any | None:
    """Apprise's plugin for `url`, or None when Apprise does not understand it."""
    return _apprise().Apprise.instantiate(url.strip())


def apprise_hint(url: str) -> str:
    """`ntfy://ntfy.example.org/harmony` — safe to show: passwords and tokens masked."""
    plugin = apprise_plugin(url)
    if plugin is None:
        return ""
    return str(plugin.url(privacy=True)).split("?", 1)[0]


def send_apprise(url: str, *, title: str, body: str) -> None:
    """Send one message; `ProviderUnavailable` with Apprise's own warning when it fails."""
    apprise = _apprise()
    notifier = apprise.Apprise()
    if not notifier.add(url.strip()):
        raise ProviderResponseError("Apprise does not understand this URL", provider="apprise")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        sent = notifier.notify(title=title, body=body)
    if not sent:
        lines = [line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines() if line]
        detail = lines[-1] if lines else "the service did not accept the message"
        raise ProviderUnavailable(detail, provider="apprise")
