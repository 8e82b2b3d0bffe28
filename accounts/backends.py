"""Members of the `admin` group hold every permission, like superusers, so the Django admin
works for them on every app's models without granting each model permission by hand."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from accounts.roles import has_role


class AdminRoleBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return bool(user_obj.is_active) and has_role(user_obj, "admin")

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return bool(user_obj.is_active) and has_role(user_obj, "admin")
