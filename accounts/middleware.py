"""Every `/ui/` page needs a logged-in user holding at least the viewer role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.auth import login_redirect
from accounts.roles import has_role

UI_PREFIX = "/ui/"


class UILoginRequiredMiddleware:
    """Guard the UI by default; views opt out with Django's `@login_not_required`.

    Scoped to `/ui/` so the API (key or session auth, JSON errors) and the admin (its own
    login) keep their own rules.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not request.path_info.startswith(UI_PREFIX):
            return None
        if not getattr(view_func, "login_required", True):
            return None
        if not request.user.is_authenticated:
            return login_redirect(request)
        if not has_role(request.user, "viewer"):
            raise PermissionDenied("Your account has no role yet; ask an admin to grant one.")
        return None
