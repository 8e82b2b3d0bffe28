"""Reads of the library for the UI: every function returns rows with their joins prepared,
so a page costs the same number of queries whatever the library's size."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from library.models import Album, Artist, AuditEvent, LibraryFile, ScanRun, Track, VerifyRun


def present_files_prefetch(*, only: Iterable[str] = ()) -> Prefetch:
    """Prefetch each track's present files into `track.present_files`, by path.

    `state` is compared through LOWER() (the values are lower-case already) so no index on it
    applies: without planner statistics SQLite would otherwise walk every present file through
    the (state, path) index instead of looking up the page's track ids.
    """
    present = (
        LibraryFile.objects.alias(state_value=Lower("state"))
        .filter(state_value=LibraryFile.State.PRESENT)
        .order_by("path")
    )
    if only:
        present = present.only(*only)
    return Prefetch("files", queryset=present, to_attr="present_files")


def artist_list(*, text: str = "") -> QuerySet[Artist]:
    """Artists with their album and track counts, by sort name."""
    artists = Artist.objects.annotate(
        album_count=Count("albums", distinct=True), track_count=Count("tracks", distinct=True)
    )
    if text:
        artists = artists.filter(name__icontains=text)
    return artists.order_by("sort_name", "name", "id")


def track_search(text: str) -> QuerySet[Track]:
    """Tracks whose title, artists or album contain `text`, with their present files."""
    matches = (
        Q(title__icontains=text) | Q(artists__icontains=text) | Q(album__title__icontains=text)
    )
    return (
        Track.objects.filter(matches)
        .select_related("album", "artist")
        .prefetch_related(present_files_prefetch())
        .order_by("artist_key", "album_key", "disc_number", "track_number", "id")
    )


def artist_detail(artist_id: int) -> Artist:
    return get_object_or_404(Artist, pk=artist_id)


def albums_of(artist: Artist) -> QuerySet[Album]:
    """An artist's albums with how many tracks the library has of each."""
    owned = Count("tracks", filter=Q(tracks__files__state=LibraryFile.State.PRESENT), distinct=True)
    return (
        Album.objects.filter(Q(album_artist=artist) | Q(tracks__artist=artist))
        .annotate(owned_count=owned)
        .distinct()
        .order_by("release_date", "title", "id")
    )


def album_detail(album_id: int) -> Album:
    return get_object_or_404(Album.objects.select_related("album_artist"), pk=album_id)


def tracks_of(album: Album) -> QuerySet[Track]:
    return (
        Track.objects.filter(album=album)
        .prefetch_related(present_files_prefetch())
        .order_by("disc_number", "track_number", "title", "id")
    )


@dataclass(frozen=True)
class MissingTrack:
    disc: int
    number: int


def missing_numbers(album: Album, tracks: list[Track]) -> list[MissingTrack]:
    """Track numbers the album should have (from its track total) that no present file covers.

    Only for single-disc albums or discs whose numbering is known; an album without a track
    total cannot say what is missing.
    """
    if not album.track_total:
        return []
    have = {
        (track.disc_number or 1, track.track_number)
        for track in tracks
        if track.track_number and getattr(track, "present_files", None)
    }
    discs = album.disc_total or 1
    if discs > 1:
        return []  # per-disc totals are not stored; guessing would invent gaps
    return [
        MissingTrack(1, number)
        for number in range(1, album.track_total + 1)
        if (1, number) not in have
    ]


def track_detail(track_id: int) -> Track:
    query = Track.objects.select_related("album", "artist", "album__album_artist")
    return get_object_or_404(query, pk=track_id)


def files_of(track: Track) -> QuerySet[LibraryFile]:
    return LibraryFile.objects.filter(track=track).order_by("state", "path")


def audit_of(track: Track) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(track=track).select_related("file").order_by("-created_at", "-id")
    )


def recent_activity(*, limit: int = 15) -> list[AuditEvent]:
    """The newest audit events (dashboard)."""
    return list(AuditEvent.objects.select_related("track").order_by("-created_at", "-id")[:limit])


def library_totals() -> dict[str, int]:
    """How big the library is (dashboard): artists, albums, tracks and present files."""
    return {
        "artists": Artist.objects.count(),
        "albums": Album.objects.count(),
        "tracks": Track.objects.count(),
        "files": LibraryFile.objects.filter(state=LibraryFile.State.PRESENT).count(),
    }


def recent_scans(*, limit: int = 5) -> list[ScanRun]:
    return list(ScanRun.objects.order_by("-created_at", "-id")[:limit])


def suspect_files() -> QuerySet[LibraryFile]:
    """Present files a Verified-audio check flagged, with their tracks."""
    return (
        LibraryFile.objects.filter(state=LibraryFile.State.PRESENT, suspect=True)
        .select_related("track")
        .order_by("path")
    )


def latest_verify_run() -> VerifyRun | None:
    return VerifyRun.objects.order_by("-created_at", "-id").first()


def verify_run(run_id: int) -> VerifyRun:
    return get_object_or_404(VerifyRun, pk=run_id)


def file_detail(file_id: int) -> LibraryFile:
    return get_object_or_404(LibraryFile, pk=file_id)
