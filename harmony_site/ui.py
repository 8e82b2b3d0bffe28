"""Small helpers every UI view shares: panel rendering, pagination and the role flags.

UI views are thin function views (docs/ui/README.md): an access check, one service or
selector call, then `render_panel`, which answers an HTMX request with the panel's partial
and a plain request with the full page that includes the same partial.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import has_role, user_role

PAGE_SIZE = 50


def is_partial_request(request: HttpRequest) -> bool:
    """An HTMX request that swaps part of a page.

    Boosted requests and history restores (the back button after `hx-push-url`, with htmx's
    history cache off) replace the whole body, so they get the full page.
    """
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_panel(
    request: HttpRequest,
    page: str,
    partial: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The partial for HTMX, the full page (which includes the partial) otherwise."""
    template = partial if is_partial_request(request) else page
    return render(request, template, context)


def paginate(request: HttpRequest, items: Any, *, per_page: int = PAGE_SIZE) -> Page:
    """Page `?page=N` of `items` (a bad or too-large number shows the nearest page)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for the links of the other pages."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def role_flags(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: what the signed-in user may do (buttons shown or not).

    Hiding a button is never the guard: every action view checks the role again.
    """
    user = getattr(request, "user", None)
    return {
        "ui_role": user_role(user),
        "ui_can_operate": has_role(user, "operator"),
        "ui_is_admin": has_role(user, "admin"),
    }
