"""Read-only admin views of provider state. Tokens and verifiers are never shown."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from providers.models import OAuthState, SpotifyLogin


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SpotifyLogin)
class SpotifyLoginAdmin(_ReadOnly):
    list_display = ["spotify_user_id", "display_name", "expires_at", "needs_relogin", "updated_at"]
    fields = ["spotify_user_id", "display_name", "scopes", "expires_at", "consented_at",
              "needs_relogin", "last_error", "updated_at"]  # fmt: skip


@admin.register(OAuthState)
class OAuthStateAdmin(_ReadOnly):
    list_display = ["created_at", "expires_at", "used_at", "redirect_uri"]
    fields = ["created_at", "expires_at", "used_at", "redirect_uri"]
