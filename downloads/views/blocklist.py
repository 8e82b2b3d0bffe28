"""The blocklist page: every file Harmony will never download again, and lifting a block."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import actor_for, role_required
from downloads import actions, selectors
from downloads.models import CandidateBlock
from harmony_site.ui import paginate, query_without_page, render_panel


@require_GET
def blocklist_page(request: HttpRequest) -> HttpResponse:
    """Blocked files (peer, path, why, from which job), filterable by peer or path."""
    text = request.GET.get("q", "").strip()[:200]
    context = {
        "query": text,
        "page": paginate(request, selectors.blocked_files(text=text)),
        "page_query": query_without_page(request),
    }
    return render_panel(
        request, "downloads/blocklist.html", "downloads/partials/_blocklist.html", context
    )


@require_POST
@role_required("operator")
def blocklist_remove(request: HttpRequest, block_id: int) -> HttpResponse:
    block = get_object_or_404(CandidateBlock, pk=block_id)
    actions.unblock_file(block, actor=actor_for(request.user))
    messages.success(request, f"Unblocked {block.filename} from {block.username}.")
    return redirect("downloads:blocklist")
