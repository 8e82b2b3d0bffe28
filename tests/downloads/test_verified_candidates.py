"""The HDM and Verified audio: a delivery the checks refuse is blocklisted and the next
candidate downloaded, through the real pipeline, fake slskd and real files."""

from __future__ import annotations

import numpy as np
import pytest

from downloads.models import Candidate, CandidateBlock, JobState
from harmony_site.config import get_config
from tests.audio import write_pcm
from tests.audio_corpus import pink_noise, through_mp3
from tests.downloads.test_pipeline import _submit, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)  # sync mode enqueues on commit


def test_fake_lossless_is_blocklisted_and_the_next_candidate_taken(world, monkeypatch):  # noqa: F811
    monkeypatch.setitem(get_config().values, "QUALITY_FAKE_LOSSLESS", "quarantine")
    noise = pink_noise(2, 44_100, np.random.default_rng(3))
    genuine = write_pcm(world.tmp / "real.flac", "flac", noise, sample_rate=44_100)
    transcode = through_mp3(noise, 44_100, 128, world.tmp)
    fake = write_pcm(world.tmp / "fake.flac", "flac", transcode, sample_rate=44_100)
    world.offer("transcoder", content=fake.read_bytes(), speed=9_000_000)
    world.offer("honest", content=genuine.read_bytes(), speed=10_000)

    job = _submit(1)

    assert job.state == JobState.DONE
    refused = job.candidates.get(username="transcoder")
    assert (refused.state, refused.failure_reason) == (
        Candidate.State.FAILED,
        "verify:fake_lossless",
    )
    assert "low-pass" in refused.failure_detail
    assert CandidateBlock.objects.filter(username="transcoder").exists()
    assert job.candidates.get(state=Candidate.State.CHOSEN).username == "honest"
    assert job.library_file.analysis["spectrum"]["kind"] == "ok"
