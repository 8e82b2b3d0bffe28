"""PRO mode login: OAuth authorization code with PKCE, as four service functions.

1. `oauth_authorize_url()` makes a one-time state and a PKCE verifier (kept, encrypted, in the
   database for `STATE_TTL`) and returns Spotify's consent URL.
2. Spotify sends the browser to `SPOTIFY_REDIRECT_URI` (`http://127.0.0.1:8888/callback`, served
   by Harmony's second bind) — or, on a remote server, the person pastes that final URL into
   the manual form. Either way `oauth_complete(url)` checks the state (unknown, tampered,
   replayed and expired states are refused), exchanges the code and stores the tokens.
3. `oauth_status()` says what is connected; `oauth_disconnect()` forgets the login.

The state is the credential of the callback (it is unguessable, single-use and short-lived), so
the callback itself needs no Harmony login: it arrives on 127.0.0.1:8888 from Spotify's redirect.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.db import transaction
from django.utils import timezone

from harmony_site.secrets import SecretDecryptError, decrypt_secret, encrypt_secret
from providers.errors import ProviderAuthError, ProviderError
from providers.models import OAuthState
from providers.spotify.accounts import AccountsClient
from providers.spotify.auth import UserTokenSource
from providers.spotify.client import SpotifyClient
from providers.spotify.config import SCOPES, load_spotify_config, resolve_mode
from providers.spotify.tokens import (
    StoredTokens,
    delete_tokens,
    load_tokens,
    login_state,
    record_login_problem,
    save_tokens,
)

logger = logging.getLogger("hdm.spotify.oauth")

STATE_TTL = timedelta(minutes=10)
REFRESH_TOKEN_LIFETIME = timedelta(days=182)  # Spotify: six months after the original consent
MAX_REDIRECT_URL = 4000


class OAuthError(Exception):
    """The login could not be completed; the message tells the person what to do."""


def oauth_authorize_url() -> str:
    """Spotify's consent URL for a new PKCE login (state + verifier stored for 10 minutes)."""
    config = load_spotify_config()
    if not config.configured:
        raise OAuthError("Spotify is not configured: set SPOTIFY_CLIENT_ID first")
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    now = timezone.now()
    OAuthState.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    OAuthState.objects.create(
        state_hash=_hash(state),
        verifier=encrypt_secret(verifier),
        redirect_uri=config.redirect_uri,
        created_at=now,
        expires_at=now + STATE_TTL,
    )
    query = {
        "client_id": config.client_id,
        "response_type": "code",
        "redirect_uri": config.redirect_uri,
        "state": state,
        "scope": " ".join(SCOPES),
        "code_challenge_method": "S256",
        "code_challenge": _challenge(verifier),
    }
    logger.info("hdm.spotify.oauth_started")
    return f"{config.accounts_url}/authorize?{urlencode(query)}"


def oauth_complete(redirect_url: str) -> None:
    """Finish a login from the URL Spotify redirected to (full URL or just its query).

    Raises `OAuthError` for a refusal on Spotify's page, an unknown/tampered, replayed or
    expired state, or a code Spotify will not exchange.
    """
    params = _callback_params(redirect_url)
    state = params.get("state", "")
    if not state:
        raise OAuthError("the URL has no state parameter: paste the whole address from the browser")
    pending = _claim_state(state)
    if "error" in params:
        raise OAuthError(_denied_message(params["error"]))
    code = params.get("code", "")
    if not code:
        raise OAuthError("the URL has no code parameter: paste the whole address from the browser")
    try:
        verifier = decrypt_secret(pending.verifier)
    except SecretDecryptError as exc:
        raise OAuthError("the pending login cannot be read; start the login again") from exc
    _exchange_and_store(code=code, verifier=verifier, redirect_uri=pending.redirect_uri)


def oauth_status() -> dict[str, Any]:
    """What the status page and the API show: mode, connection, scopes, expiry, last error."""
    config = load_spotify_config()
    row = login_state()
    connected = row is not None and bool(row.refresh_token)
    consented = row.consented_at if row else None
    return {
        "configured": config.configured,
        "configured_mode": config.mode,
        "mode": resolve_mode(config, user_connected=connected),
        "connected": connected,
        "user": {"id": row.spotify_user_id, "display_name": row.display_name} if row else None,
        "scopes": row.scopes.split() if row else [],
        "expires_at": row.expires_at.isoformat() if row and row.expires_at else None,
        "login_expires_at": (consented + REFRESH_TOKEN_LIFETIME).isoformat() if consented else None,
        "needs_relogin": bool(row and row.needs_relogin),
        "last_error": row.last_error if row else "",
        "redirect_uri": config.redirect_uri,
    }


def oauth_disconnect() -> None:
    """Forget the stored login and every pending login (tokens are deleted, not kept)."""
    delete_tokens()
    OAuthState.objects.all().delete()
    logger.info("hdm.spotify.oauth_disconnected")


# -- steps ------------------------------------------------------------------------------------
def _callback_params(redirect_url: str) -> dict[str, str]:
    text = (redirect_url or "").strip()
    if not text or len(text) > MAX_REDIRECT_URL:
        raise OAuthError("paste the full address the browser showed after logging in to Spotify")
    try:
        # A full URL, a path with its query (the callback view), or just the query.
        query = urlsplit(text).query if "?" in text else text.split("#", 1)[0]
    except ValueError as exc:
        raise OAuthError("that is not a URL: paste the full address from the browser") from exc
    return {key: values[0] for key, values in parse_qs(query, keep_blank_values=True).items()}


def _claim_state(state: str) -> OAuthState:
    """Mark the state used (one conditional UPDATE, so a replay or a race loses), or refuse."""
    now = timezone.now()
    state_hash = _hash(state)
    with transaction.atomic():
        claimed = OAuthState.objects.filter(
            state_hash=state_hash, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        pending = OAuthState.objects.filter(state_hash=state_hash).first()
    if claimed == 1 and pending is not None:
        return pending
    if pending is None:
        logger.warning("hdm.spotify.oauth_state_refused", extra={"reason": "unknown"})
        raise OAuthError(
            "unknown login state (tampered, or from another Harmony): start the login again"
        )
    reason = "replayed" if pending.used_at else "expired"
    logger.warning("hdm.spotify.oauth_state_refused", extra={"reason": reason})
    if reason == "replayed":
        raise OAuthError("this login URL was already used: start the login again")
    raise OAuthError("the login took longer than 10 minutes and expired: start it again")


def _exchange_and_store(*, code: str, verifier: str, redirect_uri: str) -> None:
    config = load_spotify_config()
    try:
        grant = AccountsClient(config).exchange_code(
            code=code, verifier=verifier, redirect_uri=redirect_uri
        )
    except ProviderError as exc:
        raise OAuthError(f"Spotify did not accept the login: {exc.message}") from exc
    if grant.refresh_token is None:
        raise OAuthError("Spotify answered without a refresh token; start the login again")
    now = timezone.now()
    tokens = StoredTokens(
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        expires_at=now + timedelta(seconds=grant.expires_in),
        scopes=grant.scopes,
        consented_at=now,
    )
    save_tokens(tokens)
    logger.info("hdm.spotify.oauth_connected", extra={"scopes": " ".join(grant.scopes)})
    _remember_user(tokens)


def _remember_user(tokens: StoredTokens) -> None:
    """Record who logged in; a 403 here means the user is not allow-listed in the app."""
    config = load_spotify_config()
    client = SpotifyClient(api_url=config.api_url, tokens=UserTokenSource(config))
    try:
        user = client.me()
    except ProviderAuthError as exc:
        record_login_problem(error=exc.message)
        raise OAuthError(
            "connected, but Spotify refuses API calls for this account: add it under User "
            "Management in the app's dashboard (development mode allows five users)"
        ) from exc
    except ProviderError as exc:
        # The login itself worked; the user name can wait for the next status check.
        record_login_problem(error=exc.message)
        return
    save_tokens(
        (load_tokens() or tokens).with_changes(
            spotify_user_id=user["id"], display_name=user["display_name"]
        )
    )


def _denied_message(error: str) -> str:
    if error == "access_denied":
        return "you declined access on Spotify's page; start the login again to connect"
    return f"Spotify refused the login ({error}); check the app's redirect URI and scopes"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8", "surrogatepass")).hexdigest()
