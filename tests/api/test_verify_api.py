"""Verified audio over the API: evidence on files, the suspect filter, library re-verify."""

from __future__ import annotations

import numpy as np
import pytest

from library.services import ingest_file
from tests.audio import write_pcm
from tests.audio_corpus import pink_noise, through_mp3
from tests.factories import LibraryFileFactory, TrackFactory
from tests.library.test_ingest import META, SOURCE

pytestmark = pytest.mark.django_db


def _ids(client, url: str) -> set[int]:
    return {row["id"] for row in client.get(url).json()["results"]}


def test_suspect_filter_on_files_and_tracks(viewer_api):
    clean, flagged = TrackFactory(title="Clean"), TrackFactory(title="Flagged")
    good = LibraryFileFactory(track=clean)
    bad = LibraryFileFactory(track=flagged, suspect=True, analysis={"flags": ["clipping"]})

    assert _ids(viewer_api, "/api/v1/library/files?suspect=true") == {bad.pk}
    assert _ids(viewer_api, "/api/v1/library/files?suspect=false") == {good.pk}
    assert _ids(viewer_api, "/api/v1/library/tracks?suspect=true") == {flagged.pk}
    assert _ids(viewer_api, "/api/v1/library/tracks?suspect=false") == {clean.pk}
    row = viewer_api.get(f"/api/v1/library/files/{bad.pk}").json()
    assert row["suspect"] is True and row["flags"] == ["clipping"]


def test_file_detail_states_the_evidence_in_words(viewer_api, library_dirs):
    downloads, _ = library_dirs
    samples = through_mp3(pink_noise(2, 44_100, np.random.default_rng(2)), 44_100, 192, downloads)
    src = write_pcm(downloads / "fake.flac", "flac", samples, sample_rate=44_100)
    row = ingest_file(src, meta=META, source=SOURCE, actor="job:7").library_file

    body = viewer_api.get(f"/api/v1/library/files/{row.pk}").json()

    assert body["flags"] == ["lossy_cutoff"] and body["analysed_at"]
    evidence = {item["check"]: item["finding"] for item in body["evidence"]}
    assert evidence["Spectrum"].startswith("lossy source: hard low-pass at 18.")
    assert "LUFS" in evidence["Loudness"]
    assert body["analysis"]["spectrum"]["cutoff_hz"] > 18_000


def test_reverify_runs_in_the_cluster_and_reports_progress(
    operator_api, library_dirs, django_capture_on_commit_callbacks, monkeypatch
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)  # the task runs inline, in this transaction
    downloads, _ = library_dirs
    src = write_pcm(
        downloads / "a.flac",
        "flac",
        pink_noise(2, 44_100, np.random.default_rng(4)),
        sample_rate=44_100,
    )
    ingest_file(src, meta=META, source=SOURCE, actor="job:7")

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_api.post("/api/v1/library/verify-runs", content_type="application/json")

    assert response.status_code == 201, response.json()
    run = operator_api.get(f"/api/v1/library/verify-runs/{response.json()['id']}").json()
    assert (run["state"], run["total"], run["done"], run["suspect"]) == ("finished", 1, 1, 0)
    assert run["progress"] == 1.0 and run["actor"].startswith("apikey:")


def test_viewers_cannot_start_a_reverify(viewer_api):
    response = viewer_api.post("/api/v1/library/verify-runs", content_type="application/json")
    assert response.status_code == 403
