"""The Watchlists page: watch a playlist, artist or release; edit, sync now, stop watching;
and each watchlist's sync history (new, owned, queued, failed per sync, with the jobs)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.auth import actor_for, role_required
from accounts.roles import has_role
from downloads import selectors, watchlists
from downloads.forms import (
    RELEASE_TYPES,
    WatchlistForm,
    WatchlistUpdateForm,
)
from downloads.models import Watchlist
from harmony_site.ui import render_panel
from providers.errors import ProviderError

# --- Watchlists ----------------------------------------------------------------------------------


def _watchlist_rows() -> list[Watchlist]:
    """Every watchlist with its latest sync as `last_sync` (two queries, however many syncs)."""
    from django.db.models import OuterRef, Subquery

    from downloads.models import WatchlistSync

    latest = WatchlistSync.objects.filter(watchlist=OuterRef("pk")).order_by("-started_at", "-id")
    rows = list(
        Watchlist.objects.annotate(last_sync_id=Subquery(latest.values("id")[:1])).order_by(
            "kind", "name", "id"
        )
    )
    syncs = WatchlistSync.objects.in_bulk([row.last_sync_id for row in rows if row.last_sync_id])
    outcomes = selectors.sync_outcomes(list(syncs))
    for row in rows:
        row.last_sync = syncs.get(row.last_sync_id)
        row.outcome = outcomes.get(row.last_sync_id)
    return rows


def _artist_results(query: str) -> tuple[list[dict[str, str]], str]:
    """Artists credited on the tracks Spotify finds for `query` (its search is tracks only)."""
    results, error = selectors.search_spotify(query)
    artists: dict[str, str] = {}
    for meta in results:
        for artist_id, name in zip(meta.spotify_artist_ids, meta.artists, strict=False):
            artists.setdefault(artist_id, name)
    return [{"id": key, "name": name} for key, name in artists.items()], error


def _watchlists_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    context = {
        "watchlists": _watchlist_rows(),
        "form": WatchlistForm(
            initial={"release_types": settings.WATCHLISTS["WATCHLIST_RELEASE_TYPES"]}
        ),
        "interval": settings.WATCHLISTS["WATCHLIST_SYNC_MINUTES"],
        "release_type_choices": RELEASE_TYPES,
        "query": request.GET.get("q", "").strip()[:200],
        **extra,
    }
    if context["query"] and has_role(request.user, "operator"):
        context["artists"], context["search_error"] = _artist_results(context["query"])
    return context


@require_http_methods(["GET", "POST"])
def watchlists_page(request: HttpRequest) -> HttpResponse:
    """Watched artists and playlists; operators find artists, add, change, sync and remove."""
    if request.method == "POST":
        return _watchlist_create(request)
    return render_panel(
        request,
        "downloads/watchlists.html",
        "downloads/partials/_watchlists.html",
        _watchlists_context(request),
    )


@role_required("operator")
def _watchlist_create(request: HttpRequest) -> HttpResponse:
    form = WatchlistForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            watchlist = watchlists.create_watchlist(
                data["link"],
                actor=actor_for(request.user),
                release_types=data["release_types"] or None,
                since=data["since"] or "today",
                sync_minutes=data["sync_minutes"],
            )
        except watchlists.WatchlistError as exc:
            form.add_error("link", str(exc))
        except ProviderError as exc:
            form.add_error("link", exc.message)
        else:
            messages.success(request, f"Now watching {watchlist.name or watchlist.spotify_id}.")
            return redirect("downloads:watchlists")
    context = _watchlists_context(request, form=form)
    return render_panel(
        request, "downloads/watchlists.html", "downloads/partials/_watchlists.html", context
    )


@require_POST
@role_required("operator")
def watchlist_update(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
    form = WatchlistUpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {"enabled": data["enabled"], "sync_minutes": data["sync_minutes"]}
        if watchlist.kind == Watchlist.Kind.ARTIST:
            changes.update(release_types=data["release_types"], since=data["since"])
        watchlists.update_watchlist(watchlist, actor=actor_for(request.user), **changes)
        messages.success(request, f"Saved {watchlist.name or watchlist.spotify_id}.")
    else:
        messages.error(request, "The watchlist was not changed: check the date and interval.")
    return redirect("downloads:watchlists")


@require_POST
@role_required("operator")
def watchlist_sync(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
    watchlists.enqueue_sync(watchlist.pk, actor=actor_for(request.user))
    messages.success(request, f"Sync of {watchlist.name or watchlist.spotify_id} started.")
    return redirect("downloads:watchlists")


@require_POST
@role_required("operator")
def watchlist_delete(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
    name = watchlist.name or watchlist.spotify_id
    watchlists.delete_watchlist(watchlist, actor=actor_for(request.user))
    messages.success(request, f"Stopped watching {name}.")
    return redirect("downloads:watchlists")


# --- Sync history --------------------------------------------------------------------------------

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
        "interval": watchlists.sync_interval(watchlist),
        "syncs": syncs,
        "chosen": chosen,
        "items": list(selectors.sync_items(chosen.pk)) if chosen else [],
        "m3u8": watchlists.m3u8_path(watchlist)
        if watchlist.kind == Watchlist.Kind.PLAYLIST
        else None,
    }
    return render(request, "downloads/watchlist_syncs.html", context)
