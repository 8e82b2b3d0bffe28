"""slskd readiness probe and status section (imported from `ProvidersConfig.ready()`).

Ready means: slskd answers, the API key is accepted (`/session`) and slskd is logged in to
the Soulseek server (`/server` `isLoggedIn`). Unconfigured (`SLSKD_URL` empty) is `disabled`.
The probe uses short timeouts and no retries so `/api/health/ready` stays fast; only a single
429 whose Retry-After is at most PROBE_MAX_RETRY_AFTER_S is waited out and asked again, so one
busy moment of slskd does not flap readiness to 503.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from harmony_site.probes import ProbeResult, register_probe, register_status
from providers.errors import ProviderAuthError, ProviderError, ProviderRateLimited
from providers.slskd.client import SlskdClient, load_slskd_config

PROBE_CONNECT_TIMEOUT = 2.0
PROBE_READ_TIMEOUT = 3.0
PROBE_MAX_RETRY_AFTER_S = 2.0

_last_error: dict[str, str] = {}
_lock = threading.Lock()


def check_slskd() -> dict[str, Any]:
    """One round of readiness calls, as a JSON-able summary (never raises ProviderError)."""
    config = load_slskd_config()
    if not config.configured:
        return {"state": "disabled", "detail": "SLSKD_URL is empty"}
    config = replace(
        config,
        connect_timeout=min(config.connect_timeout, PROBE_CONNECT_TIMEOUT),
        read_timeout=min(config.read_timeout, PROBE_READ_TIMEOUT),
        max_retries=0,
    )
    client = SlskdClient.from_config(config)
    try:
        return _summarise_waiting_out_429(client)
    except ProviderAuthError as exc:
        return _failed(f"API key refused ({exc}); check SLSKD_API_KEY and the key's cidr")
    except ProviderError as exc:
        return _failed(str(exc))
    finally:
        client.close()


def _summarise_waiting_out_429(client: SlskdClient) -> dict[str, Any]:
    try:
        return _summarise(client)
    except ProviderRateLimited as exc:
        if exc.retry_after > PROBE_MAX_RETRY_AFTER_S:
            raise
        time.sleep(exc.retry_after)  # slskd said how long: a short wait, once
        return _summarise(client)


def _summarise(client: SlskdClient) -> dict[str, Any]:
    client.session_ok()
    server = client.server_state()
    version = client.version()
    facts = {"version": version, "server": server.state}
    if not server.is_logged_in:
        return {
            **_failed(f"slskd {version} is not logged in to Soulseek ({server.state})"),
            **facts,
        }
    detail = f"slskd {version}, {server.state}"
    return {"state": "ok", "detail": detail, **facts, "last_error": _last_error.get("text", "")}


def _failed(text: str) -> dict[str, Any]:
    with _lock:
        _last_error.update(text=text, at=datetime.now(UTC).isoformat())
    return {"state": "fail", "detail": text, "last_error": text}


@register_probe("slskd")
def probe_slskd() -> ProbeResult:
    summary = check_slskd()
    return ProbeResult(summary["state"], summary.get("detail", ""))


@register_status("slskd")
def status_slskd() -> dict[str, Any]:
    summary = check_slskd()
    with _lock:
        summary.setdefault("last_error_at", _last_error.get("at", ""))
    return summary
