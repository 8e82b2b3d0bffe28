"""Verified audio in the UI: evidence on the track and job pages, the spectrogram image, the
suspect filter and the library re-verify with its progress line."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from downloads.models import JobState
from library.analysis.spectrum import THUMB_ROWS
from library.models import LibraryFile, VerifyRun
from library.services import ingest_file
from library.spectrogram import SCALE
from tests.audio import write_pcm
from tests.audio_corpus import pink_noise, through_mp3
from tests.factories import LibraryFileFactory
from tests.library.test_ingest import META, SOURCE
from tests.ui.conftest import make_job

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def fake_flac(library_dirs) -> LibraryFile:
    """A library file ingested from an MP3 192 kbps transcode saved as FLAC (flagged)."""
    downloads, _ = library_dirs
    noise = pink_noise(2, 44_100, np.random.default_rng(5))
    samples = through_mp3(noise, 44_100, 192, downloads)
    src = write_pcm(downloads / "fake.flac", "flac", samples, sample_rate=44_100)
    return ingest_file(src, meta=META, source=SOURCE, actor="job:7").library_file


def test_track_page_shows_the_evidence_in_words_and_the_spectrogram(viewer, fake_flac):
    html = viewer.get(f"/ui/library/tracks/{fake_flac.track_id}").content.decode()

    assert "Verified audio: suspect" in html and "lossy source" in html
    assert "hard low-pass at 18." in html and "LUFS" in html and "digital silence" in html
    assert f"/ui/library/files/{fake_flac.pk}/spectrogram.png" in html


def test_spectrogram_is_a_png_of_the_stored_thumbnail(viewer, fake_flac):
    response = viewer.get(f"/ui/library/files/{fake_flac.pk}/spectrogram.png")

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.height == THUMB_ROWS * SCALE and image.width > 0


def test_a_file_without_analysis_has_no_spectrogram(viewer):
    row = LibraryFileFactory()
    assert viewer.get(f"/ui/library/files/{row.pk}/spectrogram.png").status_code == 404
    html = viewer.get(f"/ui/library/tracks/{row.track_id}").content.decode()
    assert "not analysed yet" in html


def test_job_page_shows_its_files_evidence(viewer, fake_flac):
    job = make_job(JobState.DONE, library_file=fake_flac)

    html = viewer.get(f"/ui/jobs/{job.pk}").content.decode()

    assert "Verified audio" in html and "lossy source" in html


def test_suspect_filter_lists_only_flagged_files(viewer, fake_flac):
    clean = LibraryFileFactory(path="Clean/01 Fine.flac")

    html = viewer.get("/ui/library?suspect=1", **HX).content.decode()

    assert "03 Déjà Vu.flac" in html and "lossy source" in html
    assert clean.path not in html


def test_operator_starts_a_reverify_and_a_viewer_may_not(operator, viewer, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    assert viewer.post("/ui/library/verify").status_code == 403
    response = operator.post("/ui/library/verify")
    assert response.status_code == 302
    assert VerifyRun.objects.filter(actor="user:operator").exists()


def test_progress_line_polls_until_the_run_is_over(viewer):
    run = VerifyRun.objects.create(state=VerifyRun.State.RUNNING, total=10, done=4, suspect=1)
    running = viewer.get(f"/ui/library/verify/{run.pk}", **HX).content.decode()
    assert "hx-trigger" in running and "4 of 10 files analysed, 1 suspect" in running

    VerifyRun.objects.filter(pk=run.pk).update(state=VerifyRun.State.FINISHED, done=10)
    finished = viewer.get(f"/ui/library/verify/{run.pk}", **HX).content.decode()
    assert "hx-trigger" not in finished and "Finished" in finished
