"""The dead-letter queue page: filter dead jobs, requeue (operator) or purge (admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import actor_for, role_required
from downloads import actions
from downloads.forms import (
    DlqActionForm,
    DlqFilterForm,
)
from harmony_site.ui import paginate, query_without_page, render_panel

# --- Dead letters --------------------------------------------------------------------------------


@require_GET
def dlq_page(request: HttpRequest) -> HttpResponse:
    """Dead jobs grouped by reason, with bulk requeue (operator) and purge (admin)."""
    form = DlqFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    criteria = actions.DeadFilter(
        reasons=(filters["reason"],) if filters.get("reason") else (), search=filters.get("q", "")
    )
    context = {
        "stats": actions.dlq_stats(),
        "filter_form": form,
        "page": paginate(request, actions.dead_jobs(criteria)),
        "page_query": query_without_page(request),
    }
    return render_panel(request, "downloads/dlq.html", "downloads/partials/_dlq.html", context)


def _dlq_criteria(request: HttpRequest) -> actions.DeadFilter | None:
    form = DlqActionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(map(str, form.non_field_errors())) or "Nothing was selected."
        )
        return None
    reason = form.cleaned_data.get("reason")
    return actions.DeadFilter(
        ids=tuple(form.cleaned_data["ids"]), reasons=(reason,) if reason else ()
    )


@require_POST
@role_required("operator")
def dlq_requeue(request: HttpRequest) -> HttpResponse:
    return _dlq_action(request, actions.requeue_dead, verb="Requeued")


@require_POST
@role_required("admin")
def dlq_purge(request: HttpRequest) -> HttpResponse:
    return _dlq_action(request, actions.purge_dead, verb="Purged")


def _dlq_action(request: HttpRequest, action: Callable[..., Any], *, verb: str) -> HttpResponse:
    """Run a bulk DLQ service on the selected entries; the outcome comes back as a message."""
    criteria = _dlq_criteria(request)
    if criteria is not None:
        try:
            result = action(criteria, actor=actor_for(request.user), via="ui")
        except actions.DlqRequestError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _dlq_summary(verb, result))
    return redirect("downloads:dlq")


def _dlq_summary(verb: str, result: actions.DlqResult) -> str:
    done = result.counts.get("requeued", result.counts.get("purged", 0))
    text = f"{verb} {done} of {result.matched} dead job(s)."
    if result.counts.get("conflicts"):
        text += f" {result.counts['conflicts']} conflict with a live job for the same item."
    if result.remaining:
        text += f" {result.remaining} more match; run it again."
    return text
