"""UI panels of the library under /ui/library: artists → albums → tracks, search, each track's
files and audit history, and the quarantine (docs/ui/README.md). Reads go through
library/selectors.py and library/quarantine.py; the quarantine's actions through
library/importing.py, each audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import actor_for, role_required
from harmony_site.ui import paginate, query_without_page, render_panel
from library import importing, reverify, selectors
from library.quarantine import quarantined_files
from library.services import IngestResult
from library.spectrogram import spectrogram_png

SEARCH_MAX = 200


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    """Artists (paginated); with `?q=` the tracks, artists and albums matching the text;
    with `?suspect=1` the files a Verified-audio check flagged."""
    text = request.GET.get("q", "").strip()[:SEARCH_MAX]
    suspect = request.GET.get("suspect") == "1"
    rows: QuerySet[Any]
    if suspect:
        rows = selectors.suspect_files()
    else:
        rows = selectors.track_search(text) if text else selectors.artist_list()
    context = {
        "q": text,
        "suspect": suspect,
        "page": paginate(request, rows),
        "page_query": query_without_page(request),
        "verify_run": selectors.latest_verify_run(),
    }
    return render_panel(request, "library/library.html", "library/partials/_results.html", context)


@require_GET
def artist(request: HttpRequest, artist_id: int) -> HttpResponse:
    found = selectors.artist_detail(artist_id)
    context = {"artist": found, "page": paginate(request, selectors.albums_of(found))}
    return render_panel(request, "library/artist.html", "library/partials/_albums.html", context)


@require_GET
def album(request: HttpRequest, album_id: int) -> HttpResponse:
    found = selectors.album_detail(album_id)
    tracks = list(selectors.tracks_of(found))
    context = {
        "album": found,
        "tracks": tracks,
        "missing": selectors.missing_numbers(found, tracks),
    }
    return render_panel(request, "library/album.html", "library/partials/_tracks.html", context)


@require_GET
def track(request: HttpRequest, track_id: int) -> HttpResponse:
    found = selectors.track_detail(track_id)
    context = {
        "track": found,
        "files": selectors.files_of(found),
        "page": paginate(request, selectors.audit_of(found)),
    }
    return render_panel(request, "library/track.html", "library/partials/_audit.html", context)


@require_GET
def quarantine(request: HttpRequest) -> HttpResponse:
    """Every quarantined file with its reason in words: retry import, release anyway, delete."""
    context = {"files": quarantined_files(), "import_dir": importing.import_dir()}
    return render_panel(
        request, "library/quarantine.html", "library/partials/_quarantine.html", context
    )


@require_POST
@role_required("operator")
def quarantine_retry(request: HttpRequest) -> HttpResponse:
    return _quarantine_action(request, importing.retry_quarantined)


@require_POST
@role_required("operator")
def quarantine_release(request: HttpRequest) -> HttpResponse:
    return _quarantine_action(request, importing.release_quarantined)


@require_POST
@role_required("admin")
def quarantine_delete(request: HttpRequest) -> HttpResponse:
    return _quarantine_action(request, importing.delete_quarantined)


def _quarantine_action(
    request: HttpRequest, action: Callable[..., IngestResult | None]
) -> HttpResponse:
    name = request.POST.get("name", "")
    try:
        result = action(name, actor=actor_for(request.user))
    except FileNotFoundError:
        raise Http404("No such file in the quarantine.") from None
    if result is None:
        messages.success(request, f"Deleted {name}.")
    elif result.status == "quarantined":
        messages.error(request, f"{name} is still in the quarantine: {result.detail}")
    else:
        messages.success(request, f"{name}: {result.status} into the library.")
    return redirect("library:quarantine")


@require_GET
def spectrogram(request: HttpRequest, file_id: int) -> HttpResponse:
    """The small spectrogram image of a file's last analysis."""
    png = spectrogram_png(
        selectors.file_detail(file_id).analysis.get("spectrum", {}).get("thumbnail", "")
    )
    if png is None:
        raise Http404("no spectrogram for this file")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_POST
@role_required("operator")
def verify_start(request: HttpRequest) -> HttpResponse:
    """Re-verify the whole library in the task cluster."""
    run = reverify.enqueue_reverify(actor=actor_for(request.user))
    messages.success(request, f"Re-verify {run.pk} started: {run.total} files to analyse.")
    return redirect("library:library")


@require_GET
def verify_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The re-verify progress line (HTMX polls it; a finished run's line carries no trigger)."""
    context = {"verify_run": selectors.verify_run(run_id), "page": None}
    return render_panel(
        request, "library/library.html", "library/partials/_verify_run.html", context
    )
