"""Library browse/search, scans and the audit trail over the API."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from library.api.filters import files_below_profile
from library.api.quality import CLASS_ANNOTATION, annotate_quality
from library.models import AuditEvent, LibraryFile, ScanRun
from library.quality import QualityProfile, meets_profile, quality_class
from tests.api.conftest import make_library
from tests.factories import LibraryFileFactory, TrackFactory

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = [
    "/api/v1/library/artists",
    "/api/v1/library/albums",
    "/api/v1/library/tracks",
    "/api/v1/library/files",
    "/api/v1/library/scans",
    "/api/v1/activity",
    "/api/v1/keys",
]


# The ceiling of one list page (the key, the count, the page; the track search one more).
LIST_PAGE_QUERIES = 4


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url + "?page_size=200").status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_list_query_count_does_not_grow_with_rows(admin_api, url):
    make_library(10)
    ScanRun.objects.bulk_create(ScanRun(path="/music") for _ in range(10))
    _queries(admin_api, url)  # the key's first use records last_used (one write a minute)
    small = _queries(admin_api, url)
    make_library(990)
    ScanRun.objects.bulk_create(ScanRun(path="/music") for _ in range(990))
    assert _queries(admin_api, url) == small <= LIST_PAGE_QUERIES


def test_track_search_and_filters(viewer_api):
    wanted = TrackFactory(title="Teardrop", artists="Massive Attack")
    LibraryFileFactory(track=wanted)
    missing = TrackFactory(title="Angel", artists="Massive Attack")
    mp3 = TrackFactory(title="Other")
    LibraryFileFactory(track=mp3, format="mp3", codec="mp3", bitrate_kbps=128, bit_depth=None)

    def ids(query: str) -> set[int]:
        body = viewer_api.get("/api/v1/library/tracks?" + query).json()
        return {row["id"] for row in body["results"]}

    assert ids("search=teardrop") == {wanted.pk}
    assert ids("search=massive") == {wanted.pk, missing.pk}
    assert ids("missing=true") == {missing.pk}
    assert ids("format=mp3") == {mp3.pk}
    assert ids(f"album={wanted.album_id}") == {wanted.pk}
    assert ids("below_profile=true") == set()  # mp3 128 is an allowed class by default


def test_below_profile_follows_the_profile(viewer_api, monkeypatch):
    good = LibraryFileFactory()
    bad = LibraryFileFactory(format="mp3", codec="mp3", bitrate_kbps=128, bit_depth=None)
    strict = QualityProfile(formats=("flac", "mp3-320"))
    monkeypatch.setattr(QualityProfile, "from_config", classmethod(lambda cls: strict))
    files = viewer_api.get("/api/v1/library/files?below_profile=true").json()["results"]
    assert [row["id"] for row in files] == [bad.pk]
    assert files[0]["quality"] == "mp3" and not files[0]["meets_profile"]
    tracks = viewer_api.get("/api/v1/library/tracks?below_profile=true").json()["results"]
    assert [row["id"] for row in tracks] == [bad.track_id]
    assert good.track_id not in {row["id"] for row in tracks}


GRID = list(
    itertools.product(
        [
            ("flac", ""),
            ("mp3", "mp3"),
            ("m4a", "alac"),
            ("m4a", ""),
            ("ogg", "vorbis"),
            ("opus", ""),
            ("wav", "pcm"),
            ("m4a", "aac"),
        ],
        [None, 128, 192, 224, 245, 256, 320],
        [None, 44100, 96000],
        [None, 16, 24],
    )
)


def test_sql_quality_class_matches_python(db):
    rows = [
        LibraryFile(
            path=f"q/{n}",
            format=fmt,
            codec=codec,
            bitrate_kbps=rate,
            sample_rate=sr,
            bit_depth=bd,
            size=1,
        )
        for n, ((fmt, codec), rate, sr, bd) in enumerate(GRID)
    ]
    LibraryFile.objects.bulk_create(rows)
    for row in annotate_quality(LibraryFile.objects.all()):
        expected = quality_class(
            row.codec or row.format, row.bitrate_kbps, row.sample_rate, row.bit_depth, None
        )
        assert getattr(row, CLASS_ANNOTATION) == expected, row.path
    profiles = [
        QualityProfile(),
        QualityProfile(formats=("flac", "mp3-320", "mp3-v0"), min_bitrate=256),
        QualityProfile(max_sample_rate=48000, max_bit_depth=16, strict=True),
        QualityProfile(min_bitrate=192, strict=True),
    ]
    for profile in profiles:
        below = set(
            files_below_profile(LibraryFile.objects.all(), profile).values_list("pk", flat=True)
        )
        expected = {
            row.pk for row in LibraryFile.objects.all() if not meets_profile(row, profile=profile)
        }
        assert below == expected, profile


def test_detail_endpoints(viewer_api):
    file = LibraryFileFactory(tags={"title": ["Teardrop"]})
    track = viewer_api.get(f"/api/v1/library/tracks/{file.track_id}").json()
    assert track["files"][0]["id"] == file.pk and not track["missing"]
    assert viewer_api.get(f"/api/v1/library/files/{file.pk}").json()["tags"] == {
        "title": ["Teardrop"]
    }
    album = viewer_api.get(f"/api/v1/library/albums/{file.track.album_id}").json()
    assert album["track_count"] == 1
    artist = viewer_api.get(f"/api/v1/library/artists/{file.track.artist_id}").json()
    assert artist["track_count"] == 1


def test_activity_filters(viewer_api):
    track = TrackFactory()
    AuditEvent.objects.create(kind="ingested", actor="job:1", track=track)
    AuditEvent.objects.create(kind="settings_changed", actor="user:alice")
    kinds = viewer_api.get("/api/v1/activity?kind=settings_changed").json()["results"]
    assert [row["actor"] for row in kinds] == ["user:alice"]
    by_track = viewer_api.get(f"/api/v1/activity?track={track.pk}").json()["results"]
    assert [row["kind"] for row in by_track] == ["ingested"]
    assert viewer_api.get("/api/v1/activity?actor=nobody").json()["count"] == 0
    assert viewer_api.get("/api/v1/activity?kind=nonsense").status_code == 400
    assert viewer_api.get("/api/v1/activity?since=yesterday").status_code == 400
    since = viewer_api.get("/api/v1/activity?since=2000-01-01T00:00:00Z").json()["count"]
    assert since == AuditEvent.objects.count()
    assert viewer_api.get("/api/v1/activity?until=2000-01-01T00:00:00Z").json()["count"] == 0


def test_scan_runs_in_the_cluster_and_reports_progress(
    operator_api, library_dirs, django_capture_on_commit_callbacks, monkeypatch
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)  # the task runs inline, in this transaction
    _, music = library_dirs
    (music / "Artist").mkdir()
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_api.post(
            "/api/v1/library/scans", {"path": "Artist"}, content_type="application/json"
        )
    assert response.status_code == 201, response.json()
    scan = operator_api.get(f"/api/v1/library/scans/{response.json()['id']}").json()
    assert scan["state"] == "finished" and scan["progress"] == 1.0


def test_scan_outside_the_library_is_refused(operator_api, library_dirs):
    response = operator_api.post(
        "/api/v1/library/scans", {"path": "/etc"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "path" in response.json()["error"]["details"]


def test_viewers_cannot_start_scans(viewer_api):
    assert (
        viewer_api.post("/api/v1/library/scans", {}, content_type="application/json").status_code
        == 403
    )
