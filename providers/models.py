"""Provider state kept in the database: the Spotify login (tokens encrypted) and OAuth states."""

from __future__ import annotations

from django.db import models


class SpotifyLogin(models.Model):
    """The Spotify account Harmony reads in PRO mode: one row, `slot="default"`.

    Tokens are stored encrypted (`harmony_site.secrets`); read and write them only through
    `providers.spotify.tokens.load_tokens/save_tokens`.
    """

    slot = models.CharField(max_length=32, unique=True, default="default")
    spotify_user_id = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    access_token = models.TextField(blank=True)  # encrypted
    refresh_token = models.TextField(blank=True)  # encrypted
    expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.TextField(blank=True)  # space-separated, as Spotify grants them
    # Spotify refresh tokens die six months after the original consent; refreshing does not
    # extend that, so the consent time tells the operator when to log in again.
    consented_at = models.DateTimeField(null=True, blank=True)
    needs_relogin = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Spotify login {self.spotify_user_id or '(unknown user)'}"


class OAuthState(models.Model):
    """One pending PKCE login: the state is single-use and expires after a few minutes."""

    state_hash = models.CharField(max_length=64, unique=True)  # sha256 hex of the state
    verifier = models.TextField()  # encrypted PKCE code verifier
    redirect_uri = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"OAuth state {self.state_hash[:8]}…"
