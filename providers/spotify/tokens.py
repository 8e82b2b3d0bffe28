"""The one place Spotify user tokens are read from and written to the database, encrypted."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.utils import timezone

from harmony_site.secrets import SecretDecryptError, decrypt_secret, encrypt_secret
from providers.models import SpotifyLogin

SLOT = "default"


@dataclass(frozen=True)
class StoredTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scopes: tuple[str, ...] = ()
    spotify_user_id: str = ""
    display_name: str = ""
    consented_at: datetime | None = None
    needs_relogin: bool = False
    last_error: str = ""

    def expires_within(self, seconds: float) -> bool:
        return (self.expires_at - timezone.now()).total_seconds() <= seconds

    def with_changes(self, **changes: object) -> StoredTokens:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_tokens() -> StoredTokens | None:
    """The stored login, or None when nobody has connected (or the key file changed)."""
    row = SpotifyLogin.objects.filter(slot=SLOT).first()
    if row is None or not row.refresh_token or row.expires_at is None:
        return None
    try:
        access, refresh = decrypt_secret(row.access_token), decrypt_secret(row.refresh_token)
    except SecretDecryptError:
        # Tokens encrypted under a lost key are useless: treat as "log in again".
        return None
    return StoredTokens(
        access_token=access,
        refresh_token=refresh,
        expires_at=row.expires_at,
        scopes=tuple(row.scopes.split()),
        spotify_user_id=row.spotify_user_id,
        display_name=row.display_name,
        consented_at=row.consented_at,
        needs_relogin=row.needs_relogin,
        last_error=row.last_error,
    )


def save_tokens(tokens: StoredTokens) -> None:
    """Store (encrypted) the newest tokens and what is known about the login."""
    SpotifyLogin.objects.update_or_create(
        slot=SLOT,
        defaults={
            "access_token": encrypt_secret(tokens.access_token),
            "refresh_token": encrypt_secret(tokens.refresh_token),
            "expires_at": tokens.expires_at,
            "scopes": " ".join(tokens.scopes),
            "spotify_user_id": tokens.spotify_user_id,
            "display_name": tokens.display_name,
            "consented_at": tokens.consented_at,
            "needs_relogin": tokens.needs_relogin,
            "last_error": tokens.last_error,
        },
    )


def record_login_problem(*, error: str, needs_relogin: bool = False) -> None:
    """Note an error (and maybe "log in again") on the stored login without touching tokens."""
    changes: dict[str, object] = {"last_error": error[:2000]}
    if needs_relogin:
        changes["needs_relogin"] = True
    SpotifyLogin.objects.filter(slot=SLOT).update(**changes, updated_at=timezone.now())


def login_state() -> SpotifyLogin | None:
    """The raw row (no secrets decrypted) for status pages."""
    return SpotifyLogin.objects.filter(slot=SLOT).first()


def delete_tokens() -> None:
    SpotifyLogin.objects.filter(slot=SLOT).delete()
