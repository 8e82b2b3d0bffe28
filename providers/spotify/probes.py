"""Spotify's readiness probe and status section (see harmony_site/probes.py).

The probe proves a token is obtainable for the configured mode: FREE fetches (or reuses) an
app token, PRO uses the stored login and refreshes it when it is about to expire. It makes no
network call while a cached or stored token is still valid, so polling readiness is cheap.
"""

from __future__ import annotations

from typing import Any

from harmony_site.probes import ProbeResult, register_probe, register_status
from providers.errors import ProviderError
from providers.http import HttpClient
from providers.spotify.accounts import PROVIDER, AccountsClient
from providers.spotify.auth import AppTokenSource, UserTokenSource
from providers.spotify.config import SpotifyConfig, load_spotify_config, resolve_mode
from providers.spotify.oauth import oauth_status
from providers.spotify.tokens import load_tokens

PROBE_TIMEOUT_S = 5.0
_last_probe: dict[str, str] = {}  # this process's last probe failure, shown in the status


@register_probe("spotify")
def probe_spotify() -> ProbeResult:
    config = load_spotify_config()
    tokens = load_tokens()
    mode = resolve_mode(config, user_connected=tokens is not None)
    if mode == "disabled":
        return ProbeResult("disabled", "SPOTIFY_CLIENT_ID is empty")
    accounts = _probe_accounts(config)
    try:
        if mode == "free":
            AppTokenSource(config, accounts).access_token()
        else:
            UserTokenSource(config, accounts).access_token()
    except ProviderError as exc:
        _last_probe["error"] = f"{mode} mode: {exc.message}"
        return ProbeResult("fail", _last_probe["error"])
    _last_probe.pop("error", None)
    if mode == "free":
        return ProbeResult("ok", "free mode: app token obtained")
    who = (tokens.display_name or tokens.spotify_user_id) if tokens else ""
    return ProbeResult("ok", f"pro mode: connected as {who or 'unknown user'}")


@register_status("spotify")
def status_spotify() -> dict[str, Any]:
    """Mode, connection, scopes, expiry and the last error (never a token)."""
    return {**oauth_status(), "probe_error": _last_probe.get("error", "")}


def _probe_accounts(config: SpotifyConfig) -> AccountsClient:
    # One quick attempt: readiness must answer within seconds, retries belong to real work.
    timeout = min(PROBE_TIMEOUT_S, config.read_timeout)
    http = HttpClient(
        config.accounts_url,
        name=PROVIDER,
        connect_timeout=min(PROBE_TIMEOUT_S, config.connect_timeout),
        read_timeout=timeout,
        max_retries=0,
    )
    return AccountsClient(config, http=http)
