"""The jobs and DLQ REST API: submission, lists, detail, operator actions, roles, bad input."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from downloads import submit
from downloads.models import (
    Candidate,
    CandidateBlock,
    DeadLetterAction,
    DeadReason,
    Job,
    JobScope,
    JobState,
)
from library.models import LibraryFile
from tests.downloads.conftest import make_meta
from tests.downloads.ops import api_client, dead_job, no_dispatch  # noqa: F401  (fixture)
from tests.factories import LibraryFileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hdm", "no_dispatch")]


@pytest.fixture
def operator():
    return api_client("operator")


@pytest.fixture
def viewer():
    return api_client("viewer")


@pytest.fixture
def admin():
    return api_client("admin")


def _post(client, url: str, body: dict | None = None, **kwargs):
    return client.post(url, body or {}, format="json", **kwargs)


# --- Submission -------------------------------------------------------------------------------


def test_submit_artist_and_title_enqueues_once_then_reports_already_enqueued(operator):
    body = {"artist": "The Testers", "title": "Song One", "album": "Test", "duration_s": 181.5}
    first = _post(operator, "/api/v1/downloads", body)
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "enqueued"
    job = Job.objects.get(pk=first.json()["job"]["id"])
    assert job.kind == "manual" and job.actor == "apikey:operator-key"
    assert job.wanted["duration_ms"] == 181500 and job.wanted["album"] == "Test"
    again = _post(operator, "/api/v1/downloads", body)
    assert again.status_code == 200
    assert again.json()["status"] == "already_enqueued"
    assert again.json()["job"]["id"] == job.pk


def test_submit_honours_the_idempotency_key(operator):
    headers = {"Idempotency-Key": "abc-123"}
    body = {"artist": "A", "title": "B"}
    first = _post(operator, "/api/v1/downloads", body, headers=headers)
    replay = _post(operator, "/api/v1/downloads", body, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "link"),
        ({"artist": "Only Artist"}, "title"),
        ({"link": "https://example.com/not-spotify"}, "link"),
        ({"link": "4uLU6hMCjMI75M1A2tKUQC"}, "link"),  # a bare id without `type`
        ({"link": "spotify:track:4uLU6hMCjMI75M1A2tKUQC", "artist": "A", "title": "B"}, "link"),
        ({"artist": "A", "title": "B", "kind": "nonsense"}, "kind"),
        ({"artist": "A", "title": "B", "duration_s": -3}, "duration_s"),
        ({"artist": "A", "title": "B", "priority": "high"}, "priority"),
    ],
)
def test_bad_submissions_get_400_with_field_errors(operator, body, field):
    response = _post(operator, "/api/v1/downloads", body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert not Job.objects.exists()


def test_submit_an_album_link_creates_a_parent_with_its_tracks(operator, spotify_env):
    album_id = spotify_env.ids["album_day"]
    link = f"https://open.spotify.com/album/{album_id}?si=x"
    response = _post(operator, "/api/v1/downloads", {"link": link})
    assert response.status_code == 201, response.json()
    body = response.json()
    parent = Job.objects.get(pk=body["job"]["id"])
    assert parent.scope == JobScope.ALBUM and "Ágætis byrjun" in parent.label
    assert body["counts"] == {"enqueued": 3, "already_enqueued": 0, "owned": 0}
    titles = [item["label"].split(" — ")[1] for item in body["items"]]
    assert titles == ["Intro", "Svefn-g-englar", "Starálfur"]
    assert parent.children.count() == 3
    again = _post(operator, "/api/v1/downloads", {"link": link})
    assert again.status_code == 200 and again.json()["status"] == "already_enqueued"
    assert Job.objects.count() == 4


def test_submit_a_bare_track_id_with_its_type(operator, spotify_env):
    track_id = spotify_env.ids["track"]
    response = _post(operator, "/api/v1/downloads", {"link": track_id, "type": "track"})
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["job"]["id"])
    assert job.wanted["spotify_track_id"] == track_id and job.wanted["isrc"]


def test_text_list_submission_and_bad_lines(operator):
    good = _post(operator, "/api/v1/downloads/list", {"text": "A - One\n\nB - Two\n# note\n"})
    assert good.status_code == 201, good.json()
    assert good.json()["counts"]["enqueued"] == 2
    bad = _post(operator, "/api/v1/downloads/list", {"text": "A - One\nno separator here\n"})
    assert bad.status_code == 400
    assert "line 2" in bad.json()["error"]["details"]["text"][0]
    empty = _post(operator, "/api/v1/downloads/list", {"text": "# only a comment\n"})
    assert empty.status_code == 400
    neither = _post(operator, "/api/v1/downloads/list", {})
    assert neither.status_code == 400 and "text" in neither.json()["error"]["details"]


def test_csv_upload_submission(operator):
    csv = (
        "Track URI,Track Name,Artist Name(s),Album Name,Duration (ms),ISRC\n"
        "spotify:track:4uLU6hMCjMI75M1A2tKUQC,Song,The Artist,The Album,200000,USABC1234567\n"
    )
    upload = io.BytesIO(csv.encode())
    upload.name = "export.csv"
    response = operator.post("/api/v1/downloads/list", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    job = Job.objects.get()
    assert job.wanted["spotify_track_id"] == "4uLU6hMCjMI75M1A2tKUQC"
    assert job.wanted["duration_ms"] == 200000


# --- Lists and detail -----------------------------------------------------------------------------


def test_list_shows_queued_jobs_in_priority_order_and_filters(operator):
    low = submit.submit_wanted(make_meta(1), kind="backfill", actor="t").job
    high = submit.submit_wanted(make_meta(2), kind="manual", actor="t").job
    mid = submit.submit_wanted(make_meta(3), kind="watchlist", actor="t").job
    dead_job(4)
    response = operator.get("/api/v1/downloads", {"state": "queued"})
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [high.pk, mid.pk, low.pk]
    kinds = operator.get("/api/v1/downloads", {"kind": ["backfill", "watchlist"]}).json()
    assert {row["id"] for row in kinds["results"]} == {low.pk, mid.pk}
    newest = operator.get("/api/v1/downloads", {"ordering": "-created_at"}).json()
    assert newest["count"] == 4 and newest["results"][0]["state"] == "dead"
    bad = operator.get("/api/v1/downloads", {"state": "sleeping"})
    assert bad.status_code == 400 and "state" in bad.json()["error"]["details"]


def test_list_costs_the_same_queries_for_3_or_30_jobs(operator):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert operator.get("/api/v1/downloads").status_code == 200
        return len(captured)

    for n in range(3):
        submit.submit_wanted(make_meta(n), kind="manual", actor="t")
    queries()  # warm-up: the API key's first use writes its last-used time
    few = queries()
    for n in range(3, 30):
        submit.submit_wanted(make_meta(n), kind="manual", actor="t")
    assert queries() == few <= DOWNLOADS_PAGE_QUERIES


# The ceiling of one page of the job list (the key, the count, the page with its joins):
# a figure that grows is a new query in every request.
DOWNLOADS_PAGE_QUERIES = 3


def _job_with_candidates() -> Job:
    job = submit.submit_wanted(make_meta(1), kind="manual", actor="t").job
    chosen = Candidate.objects.create(
        job=job, key="k1", username="peer1", filename="@@a\\01 - Song.flac", size=1000, rank=1,
        score={"tier": 1, "duration_delta_s": 0.4}, state=Candidate.State.TRYING,
    )  # fmt: skip
    Candidate.objects.create(
        job=job, key="k2", username="peer2", filename="@@b\\01 - Song (Live).flac", size=900,
        rejection="version_mismatch", state=Candidate.State.REJECTED,
    )  # fmt: skip
    Job.objects.filter(pk=job.pk).update(
        state=JobState.DOWNLOADING, current_candidate=chosen, transfer_id="t-1",
        transfer_username="peer1", transfer_state="InProgress", bytes_transferred=250,
        bytes_total=1000,
    )  # fmt: skip
    return Job.objects.get(pk=job.pk)


def test_detail_shows_timeline_candidates_and_transfer_progress(viewer):
    job = _job_with_candidates()
    response = viewer.get(f"/api/v1/downloads/{job.pk}")
    assert response.status_code == 200
    body = response.json()
    assert [e["reason"] for e in body["timeline"]] == ["submitted"]
    assert [c["username"] for c in body["candidates"]] == ["peer1", "peer2"]
    assert body["candidates"][0]["score"]["tier"] == 1
    assert body["candidates"][1]["rejection"] == "version_mismatch"
    assert body["transfer"]["peer"] == "peer1" and body["transfer"]["bytes"] == 250
    assert body["progress"]["percent"] == 25.0
    assert viewer.get("/api/v1/downloads/999999").status_code == 404


# --- Operator actions --------------------------------------------------------------------------


def test_cancel_retry_and_priority(operator):
    job = submit.submit_wanted(make_meta(1), kind="manual", actor="t").job
    prio = _post(operator, f"/api/v1/downloads/{job.pk}/priority", {"priority": 500})
    assert prio.status_code == 200 and prio.json()["job"]["priority"] == 500
    assert (
        _post(operator, f"/api/v1/downloads/{job.pk}/priority", {"priority": "x"}).status_code
        == 400
    )
    retry_live = _post(operator, f"/api/v1/downloads/{job.pk}/retry")
    assert retry_live.status_code == 409
    assert retry_live.json()["error"]["code"] == "job_action_not_allowed"
    cancelled = _post(operator, f"/api/v1/downloads/{job.pk}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["job"]["state"] == "cancelled"
    assert _post(operator, f"/api/v1/downloads/{job.pk}/cancel").json()["changed"] is False
    retried = _post(operator, f"/api/v1/downloads/{job.pk}/retry")
    assert retried.status_code == 200 and retried.json()["job"]["state"] == "queued"
    reasons = list(job.events.values_list("reason", flat=True))
    assert reasons[-3:] == ["priority_changed", "cancelled", "requeued"]


def test_choose_a_candidate(operator):
    job = _job_with_candidates()
    rejected = job.candidates.get(username="peer2")
    response = _post(operator, f"/api/v1/downloads/{job.pk}/candidates/{rejected.pk}/choose")
    assert response.status_code == 200, response.json()
    rejected.refresh_from_db()
    assert rejected.rank == 0 and rejected.state == Candidate.State.PENDING
    other = submit.submit_wanted(make_meta(2), kind="manual", actor="t").job
    wrong = _post(operator, f"/api/v1/downloads/{other.pk}/candidates/{rejected.pk}/choose")
    assert wrong.status_code == 404


def test_wrong_file_blocklists_quarantines_and_reruns(operator, library_dirs):
    downloads, music = library_dirs
    job = _job_with_candidates()
    library_file = LibraryFileFactory(path="The Testers/Test Album/01 Song One.flac")
    (music / library_file.path).parent.mkdir(parents=True)
    (music / library_file.path).write_bytes(b"not really flac")
    Job.objects.filter(pk=job.pk).update(
        state=JobState.DONE, live_key=None, library_file=library_file, track=library_file.track
    )
    response = _post(operator, f"/api/v1/library/tracks/{library_file.track_id}/wrong-file")
    assert response.status_code == 200, response.json()
    assert response.json()["job"]["state"] == "downloading"
    assert CandidateBlock.objects.filter(username="peer1", reason="wrong_file").exists()
    library_file.refresh_from_db()
    assert library_file.state == LibraryFile.State.QUARANTINED
    assert not (music / library_file.path).exists()
    untouched = LibraryFileFactory()
    assert (
        _post(operator, f"/api/v1/library/tracks/{untouched.track_id}/wrong-file").status_code
        == 409
    )


# --- DLQ ----------------------------------------------------------------------------------------


def test_dlq_list_detail_and_stats_with_filters(viewer):
    old = dead_job(1, reason=DeadReason.DISK_ERROR, age=timedelta(days=5))
    new = dead_job(2, reason=DeadReason.NO_CANDIDATES)
    submit.submit_wanted(make_meta(3), kind="manual", actor="t")
    listing = viewer.get("/api/v1/dlq").json()
    assert [row["id"] for row in listing["results"]] == [new.pk, old.pk]
    by_reason = viewer.get("/api/v1/dlq", {"reason": "disk_error"}).json()
    assert [row["id"] for row in by_reason["results"]] == [old.pk]
    since = (new.finished_at - timedelta(minutes=1)).isoformat()
    recent = viewer.get("/api/v1/dlq", {"dead_after": since}).json()
    assert [row["id"] for row in recent["results"]] == [new.pk]
    detail = viewer.get(f"/api/v1/dlq/{old.pk}").json()
    assert detail["dead_reason"] == "disk_error" and detail["timeline"][-1]["to_state"] == "dead"
    stats = viewer.get("/api/v1/dlq/stats").json()
    assert stats["total"] == 2 and stats["by_reason"]["disk_error"] == 1
    assert viewer.get("/api/v1/dlq", {"reason": "bogus"}).status_code == 400


def test_dlq_requeue_is_for_operators_and_purge_for_admins(viewer, operator, admin):
    jobs = [dead_job(n, age=timedelta(days=40)) for n in range(3)]
    ids = {"ids": [jobs[0].pk]}
    assert _post(viewer, "/api/v1/dlq/requeue", ids).status_code == 403
    requeued = _post(operator, "/api/v1/dlq/requeue", ids)
    assert requeued.status_code == 200 and requeued.json()["requeued"] == 1
    assert _post(operator, "/api/v1/dlq/requeue", ids).json()["skipped"] == 1
    assert _post(operator, "/api/v1/dlq/purge", {"older_than": "P30D"}).status_code == 403
    purged = _post(admin, "/api/v1/dlq/purge", {"older_than": "P30D"})
    assert purged.status_code == 200 and purged.json()["purged"] == 2
    assert list(DeadLetterAction.objects.values_list("action", "actor").order_by("id")) == [
        ("requeue", "apikey:operator-key"),
        ("requeue", "apikey:operator-key"),
        ("purge", "apikey:admin-key"),
    ]


def test_dlq_bad_requests_are_400(operator, admin):
    too_many = _post(operator, "/api/v1/dlq/requeue", {"ids": list(range(1, 502))})
    assert too_many.status_code == 400 and "ids" in too_many.json()["error"]["details"]
    nothing = _post(operator, "/api/v1/dlq/requeue", {})
    assert nothing.status_code == 400 and nothing.json()["error"]["code"] == "dlq_request_invalid"
    bad_age = _post(admin, "/api/v1/dlq/purge", {"older_than": "a while"})
    assert bad_age.status_code == 400 and "older_than" in bad_age.json()["error"]["details"]
    assert _post(admin, "/api/v1/dlq/purge", {"ids": list(range(1, 1002))}).status_code == 400


def test_submit_refuses_unknown_fields_naming_them(operator):
    body = {"artist": "A", "title": "B", "duraton_ms": 1000, "bpm": 120}
    response = _post(operator, "/api/v1/downloads", body)
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["details"]) == {"duraton_ms", "bpm"}
    assert not Job.objects.exists()


def test_submit_takes_duration_ms_isrc_year_and_track_number(operator):
    body = {
        "artist": "The Testers",
        "title": "Song Two",
        "duration_ms": 215_000,
        "isrc": "gbaye0601498",
        "year": 1997,
        "track_number": 4,
    }
    response = _post(operator, "/api/v1/downloads", body)
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["job"]["id"])
    assert job.wanted["duration_ms"] == 215_000
    assert job.wanted["isrc"] == "GBAYE0601498" and job.wanted_key == "isrc:GBAYE0601498"
    assert job.wanted["release_date"] == "1997" and job.wanted["track_number"] == 4


def test_a_submitted_isrc_finds_the_owned_copy_under_another_name(operator):
    from tests.factories import LibraryFileFactory, TrackFactory

    track = TrackFactory(title="Other Name", isrc="GBAYE0601498", duration_ms=200_000)
    LibraryFileFactory(track=track, format="flac", codec="flac")
    body = {"artist": "X", "title": "Y", "isrc": "GBAYE0601498"}
    owned = _post(operator, "/api/v1/downloads", body)
    assert owned.status_code == 200, owned.content
    assert owned.json()["status"] == "owned"
    assert not Job.objects.exists()
