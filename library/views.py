"""UI panel of the library under /ui/library: artists → albums → tracks, search, and each
track's files and audit history (docs/ui/README.md). Reads only, through library/selectors.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from harmony_site.ui import paginate, query_without_page, render_panel
from library import selectors

SEARCH_MAX = 200


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    """Artists (paginated); with `?q=` the tracks, artists and albums matching the text."""
    text = request.GET.get("q", "").strip()[:SEARCH_MAX]
    rows = selectors.track_search(text) if text else selectors.artist_list()
    context = {
        "q": text,
        "page": paginate(request, rows),
        "page_query": query_without_page(request),
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
