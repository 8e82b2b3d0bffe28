"""Every panel renders in a bounded number of queries, whatever the size of the library and
the job history (10,000 tracks and files, 2,000 jobs), and long lists are paginated."""

from __future__ import annotations

import pytest

from downloads.models import Job, JobState, Watchlist, WatchlistSync
from library.models import Album, Artist, AuditEvent, LibraryFile, Track

TRACKS = 10_000
PER_ALBUM = 10
ALBUMS_PER_ARTIST = 10


def _bulk_library() -> None:
    artists = Artist.objects.bulk_create(
        Artist(name=f"Artist {n:04}", sort_name=f"Artist {n:04}", name_key=f"artist {n:04}")
        for n in range(TRACKS // PER_ALBUM // ALBUMS_PER_ARTIST)
    )
    albums = Album.objects.bulk_create(
        Album(
            title=f"Album {n:04}",
            title_key=f"album {n:04}",
            album_artist=artists[n // ALBUMS_PER_ARTIST],
            track_total=PER_ALBUM + 1,  # one track missing from every album
            release_date="2001",
        )
        for n in range(TRACKS // PER_ALBUM)
    )
    tracks = Track.objects.bulk_create(
        Track(
            title=f"Song {n:05}",
            artists=albums[n // PER_ALBUM].album_artist.name,
            artist=albums[n // PER_ALBUM].album_artist,
            album=albums[n // PER_ALBUM],
            track_number=n % PER_ALBUM + 1,
            title_key=f"song {n:05}",
        )
        for n in range(TRACKS)
    )
    LibraryFile.objects.bulk_create(
        LibraryFile(track=track, path=f"lib/{track.title}.flac", format="flac", size=1000)
        for track in tracks
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(kind="ingested", actor="system", track=track) for track in tracks[:2000]
    )


def _bulk_jobs() -> None:
    states = [JobState.DONE, JobState.DEAD, JobState.QUEUED, JobState.DOWNLOADING]
    Job.objects.bulk_create(
        Job(
            state=states[n % 4],
            label=f"Job {n}",
            wanted_key=f"key{n}",
            live_key=f"key{n}"
            if states[n % 4] in (JobState.QUEUED, JobState.DOWNLOADING)
            else None,
            dead_reason="no_candidates" if states[n % 4] == JobState.DEAD else "",
            transfer_id=f"t{n}" if states[n % 4] == JobState.DOWNLOADING else "",
            transfer_username="peer",
            bytes_total=1000,
        )
        for n in range(2000)
    )


def _bulk_watchlists() -> None:
    watchlists = Watchlist.objects.bulk_create(
        Watchlist(kind="artist", spotify_id=f"artist{n}", name=f"Watched {n}") for n in range(5)
    )
    WatchlistSync.objects.bulk_create(
        WatchlistSync(watchlist=watch, status="ok", found=n)
        for watch in watchlists
        for n in range(200)
    )


@pytest.mark.django_db
def test_pages_use_bounded_queries_on_a_big_library(admin, django_assert_max_num_queries):
    _bulk_library()
    _bulk_jobs()
    _bulk_watchlists()
    album = Album.objects.order_by("id").first()
    track = Track.objects.order_by("id").first()
    artist = Artist.objects.order_by("id").first()
    job = Job.objects.order_by("id").first()
    pages = {
        "/ui/": 25,
        "/ui/downloads": 20,
        "/ui/downloads/live": 15,
        "/ui/dlq": 20,
        "/ui/library": 15,
        "/ui/library?q=Song 09": 15,
        f"/ui/library/artists/{artist.pk}": 15,
        f"/ui/library/albums/{album.pk}": 15,
        f"/ui/library/tracks/{track.pk}": 15,
        f"/ui/jobs/{job.pk}": 15,
        "/ui/operations": 15,
        "/ui/watchlists": 10,
    }
    for url, limit in pages.items():
        with django_assert_max_num_queries(limit):
            response = admin.get(url)
        assert response.status_code == 200, url
    assert "Page 1 of" in admin.get("/ui/library").content.decode()
    assert "Missing track: 11" in admin.get(f"/ui/library/albums/{album.pk}").content.decode()
