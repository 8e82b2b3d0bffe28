"""HDM under real peers: wrong-size deliveries, ambiguous enqueues, kills between a write and
its record. Sync mode against the fake slskd over real sockets, real audio on disk."""

from __future__ import annotations

import pytest

from downloads import submit
from downloads.models import Candidate, CandidateBlock, Job, JobState
from library.quarantine import quarantine_dir
from tests.downloads.conftest import make_meta, settle

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(n: int = 1, *, run: bool = True) -> Job:
    result = submit.submit_wanted(make_meta(n), kind="manual", actor="test")
    assert result.status == "enqueued"
    if run:
        settle(result.job)
    return Job.objects.get(pk=result.job.pk)


def test_a_file_delivered_at_the_wrong_size_is_quarantined_and_the_next_copy_tried(
    world, library_dirs
):
    size = len(world.audio(1))
    short = world.offer("short_disk", speed=9_000_000, delivered_bytes=size * 3 // 5)
    world.offer("honest", speed=10_000)
    job = _submit(1)
    assert job.state == JobState.DONE, list(job.events.values_list("reason", "details"))
    bad = job.candidates.get(username="short_disk")
    assert bad.state == Candidate.State.FAILED and bad.failure_reason == "wrong_size"
    assert str(size) in bad.failure_detail
    assert job.candidates.get(state=Candidate.State.CHOSEN).username == "honest"
    assert CandidateBlock.objects.filter(username="short_disk", filename=short).exists()
    # The partial file is quarantined with its reason, not left in DOWNLOADS_DIR, and no
    # disk retry was spent on it.
    quarantined = [p for p in quarantine_dir().iterdir() if p.suffix == ".flac"]
    assert len(quarantined) == 1 and quarantined[0].stat().st_size == size * 3 // 5
    assert not job.events.filter(to_state=JobState.FAILED).exists()
    # The finished record is removed from slskd.
    assert not [t for t in world.fake.transfers_for("short_disk", short) if not t.removed]
