"""Where the Spotify client's bearer token comes from, in each mode.

FREE: an app-only client-credentials token, cached per process until shortly before expiry.
PRO: the stored user login, refreshed before expiry and after a 401; the newest refresh token
is always persisted. Several processes may refresh at once and PKCE refresh tokens may be
single-use, so a refused refresh first re-reads the database: if another process already stored
a newer token, that one is used instead of declaring the login dead.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Protocol

from django.utils import timezone

from providers.errors import ProviderAuthError
from providers.spotify.accounts import AccountsClient, InvalidGrant, TokenGrant
from providers.spotify.config import SpotifyConfig
from providers.spotify.tokens import StoredTokens, load_tokens, record_login_problem, save_tokens

logger = logging.getLogger("hdm.spotify.auth")

REFRESH_MARGIN_S = 60  # refresh this long before Spotify says the token expires


class TokenSource(Protocol):
    mode: str

    def access_token(self) -> str: ...

    def renew(self, rejected: str) -> str:
        """A new token after `rejected` got a 401; raises ProviderAuthError if impossible."""
        ...


class AppTokenSource:
    """FREE mode: client-credentials tokens, shared by every client of this process."""

    mode = "free"
    _cache: dict[tuple[str, str], tuple[str, float]] = {}
    _lock = threading.Lock()

    def __init__(self, config: SpotifyConfig, accounts: AccountsClient | None = None) -> None:
        self.accounts = accounts or AccountsClient(config)
        self._key = (config.accounts_url, config.client_id)

    def access_token(self) -> str:
        with self._lock:
            cached = self._cache.get(self._key)
            if cached and cached[1] - REFRESH_MARGIN_S > _now():
                return cached[0]
        return self._fetch()

    def renew(self, rejected: str) -> str:
        with self._lock:
            cached = self._cache.get(self._key)
            if cached and cached[0] != rejected:
                return cached[0]
            self._cache.pop(self._key, None)
        return self._fetch()

    def _fetch(self) -> str:
        grant = self.accounts.client_credentials()
        with self._lock:
            self._cache[self._key] = (grant.access_token, _now() + grant.expires_in)
        logger.info("hdm.spotify.app_token", extra={"expires_in": grant.expires_in})
        return grant.access_token

    @classmethod
    def forget_all(cls) -> None:
        with cls._lock:
            cls._cache.clear()


class UserTokenSource:
    """PRO mode: the stored login, refreshed before expiry and after a 401."""

    mode = "pro"

    def __init__(self, config: SpotifyConfig, accounts: AccountsClient | None = None) -> None:
        self.accounts = accounts or AccountsClient(config)
        self._lock = threading.Lock()

    def access_token(self) -> str:
        with self._lock:
            tokens = self._usable_tokens()
            if tokens.expires_within(REFRESH_MARGIN_S):
                tokens = self._refresh(tokens)
            return tokens.access_token

    def renew(self, rejected: str) -> str:
        with self._lock:
            tokens = self._usable_tokens()
            if tokens.access_token != rejected and not tokens.expires_within(REFRESH_MARGIN_S):
                return tokens.access_token  # another process refreshed meanwhile
            return self._refresh(tokens).access_token

    def _usable_tokens(self) -> StoredTokens:
        tokens = load_tokens()
        if tokens is None:
            raise ProviderAuthError(
                "Spotify is not connected: log in under Settings → Spotify (PRO mode)",
                provider="spotify",
            )
        if tokens.needs_relogin:
            raise ProviderAuthError(
                f"Spotify needs a new login ({tokens.last_error or 'the login was refused'})",
                provider="spotify",
            )
        return tokens

    def _refresh(self, tokens: StoredTokens) -> StoredTokens:
        try:
            grant = self.accounts.refresh(tokens.refresh_token)
        except InvalidGrant as exc:
            current = load_tokens()
            if current is not None and current.refresh_token != tokens.refresh_token:
                return current  # lost a refresh race; the winner stored its tokens
            record_login_problem(error=exc.message, needs_relogin=True)
            logger.warning("hdm.spotify.needs_relogin", extra={"reason": exc.message})
            raise
        fresh = apply_grant(tokens, grant)
        save_tokens(fresh)
        logger.info("hdm.spotify.token_refreshed", extra={"rotated": bool(grant.refresh_token)})
        return fresh


def apply_grant(tokens: StoredTokens, grant: TokenGrant) -> StoredTokens:
    """The stored login after a refresh: keep the old refresh token when none came back."""
    return tokens.with_changes(
        access_token=grant.access_token,
        refresh_token=grant.refresh_token or tokens.refresh_token,
        expires_at=timezone.now() + timedelta(seconds=grant.expires_in),
        scopes=grant.scopes or tokens.scopes,
        needs_relogin=False,
        last_error="",
    )


def _now() -> float:
    return timezone.now().timestamp()
