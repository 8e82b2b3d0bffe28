"""Calls to Spotify's accounts service (`POST /api/token`): code exchange, refresh, app token."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

from providers.errors import ProviderAuthError, ProviderResponseError
from providers.http import HttpClient, decode_json
from providers.spotify.config import SpotifyConfig

logger = logging.getLogger("hdm.spotify.auth")

PROVIDER = "spotify"
TOKEN_PATH = "/api/token"


class InvalidGrant(ProviderAuthError):
    """The code or refresh token was refused (expired, revoked, reused): log in again."""


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int
    refresh_token: str | None  # None: keep the old one (or app-only token)
    scopes: tuple[str, ...]


class AccountsClient:
    """Spotify's token endpoint, form-encoded, through the shared HTTP layer."""

    def __init__(self, config: SpotifyConfig, *, http: HttpClient | None = None) -> None:
        self.config = config
        self.http = http or HttpClient(
            config.accounts_url,
            name=PROVIDER,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            max_retries=config.max_retries,
            max_retry_after=config.max_retry_after,
        )

    def exchange_code(self, *, code: str, verifier: str, redirect_uri: str) -> TokenGrant:
        """Authorization code (PKCE) → access + refresh token."""
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.config.client_id,
                "code_verifier": verifier,
            }
        )

    def refresh(self, refresh_token: str) -> TokenGrant:
        """A new access token (and maybe a new refresh token) for a PKCE login."""
        return self._token(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.config.client_id,
            }
        )

    def client_credentials(self) -> TokenGrant:
        """An app-only token (FREE mode): catalogue reads, no user data."""
        if not self.config.client_secret:
            raise ProviderAuthError(
                "free mode needs SPOTIFY_CLIENT_SECRET (the app's client secret)",
                provider=PROVIDER,
                endpoint=f"POST {TOKEN_PATH}",
            )
        pair = f"{self.config.client_id}:{self.config.client_secret}".encode()
        basic = "Basic " + base64.b64encode(pair).decode("ascii")
        return self._token({"grant_type": "client_credentials"}, headers={"Authorization": basic})

    def _token(self, form: dict[str, str], *, headers: dict[str, str] | None = None) -> TokenGrant:
        endpoint = f"POST {TOKEN_PATH}"
        response = self.http.request(
            "POST", TOKEN_PATH, data=form, headers=headers, expected=(200, 400, 401)
        )
        body = decode_json(response, provider=PROVIDER, endpoint=endpoint)
        if response.status_code != 200:
            raise _token_error(body, form["grant_type"], endpoint, response.status_code)
        return _grant(body, endpoint)


def _token_error(body: Any, grant: str, endpoint: str, status: int) -> ProviderAuthError:
    error = body.get("error") if isinstance(body, dict) else None
    description = body.get("error_description", "") if isinstance(body, dict) else ""
    detail = f"{error}: {description}" if description else str(error or "refused")
    common = {"provider": PROVIDER, "endpoint": endpoint, "status": status}
    logger.warning("hdm.spotify.token_refused", extra={"grant": grant, "error": str(error)})
    if error == "invalid_grant":
        return InvalidGrant(f"Spotify refused the {grant} ({detail}); log in again", **common)
    if error == "invalid_client":
        return ProviderAuthError(
            f"Spotify refused the client ({detail}); check SPOTIFY_CLIENT_ID and "
            "SPOTIFY_CLIENT_SECRET",
            **common,
        )
    return ProviderAuthError(f"Spotify refused the {grant} ({detail})", **common)


def _grant(body: Any, endpoint: str) -> TokenGrant:
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise ProviderResponseError("token answer without access_token", provider=PROVIDER,
                                    endpoint=endpoint)  # fmt: skip
    expires_in = body.get("expires_in", 3600)
    refresh = body.get("refresh_token")
    if not isinstance(expires_in, int) or (refresh is not None and not isinstance(refresh, str)):
        raise ProviderResponseError("token answer with wrong field types", provider=PROVIDER,
                                    endpoint=endpoint)  # fmt: skip
    scope = body.get("scope") or ""
    return TokenGrant(
        access_token=body["access_token"],
        expires_in=expires_in,
        refresh_token=refresh or None,
        scopes=tuple(str(scope).split()),
    )
