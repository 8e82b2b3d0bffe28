"""Admin console for API keys, and the rule that only admins reach the admin site."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from accounts.auth import actor_for
from accounts.models import APIKey
from accounts.roles import has_role
from accounts.services import create_api_key, revoke_api_key


def _admin_site_permission(request: HttpRequest) -> bool:
    # Operators and viewers are staff of nothing: the admin console is for the admin role.
    return bool(request.user.is_active) and has_role(request.user, "admin")


admin.site.has_permission = _admin_site_permission  # type: ignore[method-assign]
admin.site.site_header = "Harmony administration"


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "role", "created", "last_used", "expiry_date", "revoked")
    list_filter = ("role", "revoked")
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created", "last_used", "created_by")
    fields = ("name", "role", "expiry_date", "revoked", "prefix", "created", "last_used")
    actions = ("revoke_selected",)

    def get_readonly_fields(self, request: HttpRequest, obj: APIKey | None = None) -> Any:
        if obj is None:
            return (*self.readonly_fields, "revoked")
        # A key's identity and power are fixed once issued; revoke and create a new one.
        return (*self.readonly_fields, "name", "role", "expiry_date")

    def save_model(self, request: HttpRequest, obj: APIKey, form: Any, change: bool) -> None:
        if change:
            if obj.revoked:
                revoke_api_key(key=APIKey.objects.get(pk=obj.pk), actor=actor_for(request.user))
            return
        created, plaintext = create_api_key(
            name=obj.name, role=obj.role, actor=actor_for(request.user)
        )
        if obj.expiry_date:
            APIKey.objects.filter(pk=created.pk).update(expiry_date=obj.expiry_date)
        obj.pk, obj.prefix = created.pk, created.prefix
        self.message_user(
            request,
            f"API key “{created.name}”: {plaintext} — copy it now, it is not shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            revoke_api_key(key=key, actor=actor_for(request.user))

    def has_delete_permission(self, request: HttpRequest, obj: APIKey | None = None) -> bool:
        return False  # revoked keys stay listed so their use can be traced
