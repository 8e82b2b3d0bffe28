"""A watchlist's sync history: per sync what was new, owned, queued and failed, with the jobs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from downloads import selectors
from downloads.models import Watchlist
from downloads.watchlists import m3u8_path, sync_interval

HISTORY = 20


@require_GET
def watchlist_syncs(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    """The last syncs of one watchlist; `?sync=<id>` (default: the latest) lists its items."""
    watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
    syncs = list(watchlist.syncs.all()[:HISTORY])
    outcomes = selectors.sync_outcomes([sync.pk for sync in syncs])
    for sync in syncs:
        sync.outcome = outcomes[sync.pk]
    chosen = next((s for s in syncs if str(s.pk) == request.GET.get("sync")), None)
    chosen = chosen or (syncs[0] if syncs else None)
    context = {
        "watchlist": watchlist,
        "interval": sync_interval(watchlist),
        "syncs": syncs,
        "chosen": chosen,
        "items": list(selectors.sync_items(chosen.pk)) if chosen else [],
        "m3u8": m3u8_path(watchlist) if watchlist.kind == Watchlist.Kind.PLAYLIST else None,
    }
    return render(request, "downloads/watchlist_syncs.html", context)
