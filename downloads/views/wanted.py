"""The Wanted page: every wanted track that is not in the library yet, why, and bulk retry."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import actor_for, role_required
from downloads import actions, explain, selectors
from harmony_site.ui import paginate, query_without_page, render_panel


@require_GET
def wanted_page(request: HttpRequest) -> HttpResponse:
    """Missing tracks, stuck ones first, each with its reason and the next step in words."""
    page = paginate(request, selectors.missing_wanted())
    for job in page.object_list:
        job.why, job.todo = explain.wanted_status(job)
    context = {"page": page, "page_query": query_without_page(request)}
    return render_panel(
        request, "downloads/wanted.html", "downloads/partials/_wanted.html", context
    )


@require_POST
@role_required("operator")
def wanted_retry(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    if not ids:
        messages.error(request, "Pick at least one track to retry.")
        return redirect("downloads:wanted")
    counts = actions.retry_jobs(ids, actor=actor_for(request.user))
    text = f"Retrying {counts['retried']} track(s)."
    if counts["skipped"]:
        text += f" {counts['skipped']} are still running or already wanted by a live job."
    messages.success(request, text)
    return redirect("downloads:wanted")
