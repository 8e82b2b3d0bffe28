"""The Downloads page: live transfers and the waiting queue (docs/ui/README.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from downloads import selectors
from downloads.forms import (
    HistoryFilterForm,
)
from harmony_site.ui import paginate, query_without_page, render_panel

# --- Downloads -----------------------------------------------------------------------------------


def _live_context() -> dict[str, Any]:
    active = list(selectors.active_transfers())
    live = selectors.live_transfers(active)
    for job in active:
        # slskd's own counters move between the HDM's polls; the row is the fallback.
        transfer = live.get((job.transfer_username, job.transfer_id))
        vars(job).update(  # shown by the template beside the row's own fields
            live_bytes=transfer.bytes_transferred if transfer else job.bytes_transferred,
            live_state=str(transfer.state) if transfer else job.transfer_state,
            speed=transfer.average_speed if transfer else None,
        )
    waiting = selectors.waiting_jobs()
    return {"active": active, "waiting": waiting[:50], "waiting_total": waiting.count()}


@require_GET
def downloads(request: HttpRequest) -> HttpResponse:
    """Active transfers and the queue (live), then the history with filters (paginated)."""
    form = HistoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    history = selectors.finished_jobs(
        states=[filters["state"]] if filters.get("state") else None,
        kind=filters.get("kind", ""),
        text=filters.get("q", ""),
    )
    context = {
        **_live_context(),
        "filter_form": form,
        "page": paginate(request, history),
        "page_query": query_without_page(request),
    }
    return render_panel(
        request, "downloads/downloads.html", "downloads/partials/_history.html", context
    )


@require_GET
def downloads_live(request: HttpRequest) -> HttpResponse:
    """The polled part of the downloads page: transfers with progress, and the queue."""
    return render_panel(
        request, "downloads/partials/_live.html", "downloads/partials/_live.html", _live_context()
    )
