"""HDM under real peers: wrong-size deliveries, ambiguous enqueues, kills between a write and
its record. Sync mode against the fake slskd over real sockets, real audio on disk."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from downloads import actions, clients, submit
from downloads.jobs import queue
from downloads.models import Candidate, CandidateBlock, DeadReason, Job, JobState, PeerStat
from library.quarantine import quarantine_dir
from providers.slskd.client import SlskdClient
from tests.downloads.conftest import FOLDER, make_meta, settle
from tests.fakes.base import Reply
from tests.fakes.slskd_data import peer_file, peer_response
from tests.fakes.spotify import knobs_set

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
    assert job.state == JobState.DONE, _timeline(job)
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


def _live_transfers(fake, username: str, filename: str) -> list:
    return [t for t in fake.transfers_for(username, filename) if not t.removed]


def test_an_enqueue_that_took_effect_but_answered_500_is_adopted(world, library_dirs):
    first = world.offer("first", speed=9_000_000)
    second = world.offer("second", speed=10_000)
    world.fake.enqueue_faults.append(Reply.json("Internal server error", 500))
    job = _submit(1)
    assert job.state == JobState.DONE, _timeline(job)
    assert job.candidates.get(state=Candidate.State.CHOSEN).username == "first"
    assert "transfer_adopted" in job.events.values_list("reason", flat=True)
    assert len(world.fake.transfers_for("first", first)) == 1  # never enqueued twice
    assert not world.fake.transfers_for("second", second)  # and no second copy fetched
    assert not PeerStat.objects.filter(username="first", failures__gt=0).exists()


def test_an_enqueue_answered_after_the_client_timeout_is_adopted(world, settings):
    first = world.offer("first", speed=9_000_000)
    world.offer("second", speed=10_000)
    settings.SLSKD_TIMEOUT = 0.3
    settings.SLSKD_MAX_RETRIES = 0
    world.fake.delay("POST", r"/api/v0/transfers/downloads/[^/]+", 5.0)
    job = _submit(1)
    assert job.state == JobState.DONE, _timeline(job)
    assert job.candidates.get(state=Candidate.State.CHOSEN).username == "first"
    assert len(world.fake.transfers_for("first", first)) == 1


@contextmanager
def killed_after_the_enqueue_post():
    """The worker dies right after slskd accepted the enqueue, before Harmony recorded it."""
    real = SlskdClient.enqueue_download

    def enqueue_then_die(self, username, files):
        real(self, username, files)
        raise KeyboardInterrupt("worker killed after the POST")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SlskdClient, "enqueue_download", enqueue_then_die)
        with pytest.raises(KeyboardInterrupt):
            settle(_submit(1, run=False))
        yield


def _swept(job: Job) -> None:
    """What the sweeper does once the dead worker's lease expires."""
    Job.objects.filter(pk=job.pk).update(claimed_by="", lease_expires_at=None)
    queue.enqueue_job(job.pk)


def test_a_kill_between_the_enqueue_and_its_record_adopts_the_transfer_on_resume(world):
    first = world.offer("first", speed=9_000_000)
    second = world.offer("second", speed=10_000)
    with killed_after_the_enqueue_post():
        pass
    job = Job.objects.get()
    assert job.state == JobState.DOWNLOADING and not job.transfer_id
    _swept(job)
    job = settle(job)[0]
    assert job.state == JobState.DONE, _timeline(job)
    assert "transfer_adopted" in job.events.values_list("reason", flat=True)
    assert len(world.fake.transfers_for("first", first)) == 1
    assert not world.fake.transfers_for("second", second)


def test_requeueing_from_the_dlq_adopts_a_transfer_slskd_still_runs(world, library_dirs):
    """A job dead-lettered while slskd kept downloading its enqueued file: the requeue adopts
    that transfer instead of searching again."""
    first = world.offer("first")
    with killed_after_the_enqueue_post():
        pass
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(
        state=JobState.DEAD, dead_reason=DeadReason.WORKER_LOST, live_key=None, claimed_by=""
    )
    actions.requeue_dead_jobs([job.pk], actor="test")
    job = settle(job)[0]
    assert job.state == JobState.DONE, _timeline(job)
    assert "transfer_adopted" in job.events.values_list("reason", flat=True)
    assert len(world.fake.transfers_for("first", first)) == 1


def _timeline(job: Job) -> str:
    return _timeline(job)


def test_a_kill_after_tagging_and_before_the_move_finishes_the_move_on_resume(world, library_dirs):
    from downloads.stages import ingest

    world.offer("good_peer")
    real = ingest.enter_step

    def die_before_moving(claimed, step):
        if step == "moving":
            raise KeyboardInterrupt("worker killed after tagging")
        real(claimed, step)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest, "enter_step", die_before_moving)
        with pytest.raises(KeyboardInterrupt):
            settle(_submit(1, run=False))
    job = Job.objects.get()
    assert job.state == JobState.TAGGING
    tagged = ingest.recorded_tagged(job)
    assert tagged is not None and Path(tagged.path).stat().st_size == tagged.size
    _swept(job)
    job = settle(job)[0]
    assert job.state == JobState.DONE, _timeline(job)
    assert job.candidates.get().state == Candidate.State.CHOSEN
    assert not CandidateBlock.objects.exists()
    assert not list(quarantine_dir().glob("*.flac")) if quarantine_dir().exists() else True
    assert len(list(library_dirs[1].rglob("*.flac"))) == 1
    assert not Path(tagged.path).exists()


def test_an_import_removes_the_finished_transfer_and_the_emptied_source_folder(world, library_dirs):
    downloads = library_dirs[0]
    neighbour = downloads / "Other Album"
    neighbour.mkdir()
    (neighbour / "still downloading.flac").write_bytes(b"x")
    (downloads / "import").mkdir()
    filename = world.offer("good_peer")
    job = _submit(1)
    assert job.state == JobState.DONE, _timeline(job)
    assert [t.removed for t in world.fake.transfers_for("good_peer", filename)] == [True]
    source_folder = Path(job.download_path).parent
    assert source_folder != downloads and not source_folder.exists()
    assert downloads.is_dir() and (downloads / "import").is_dir()
    assert (neighbour / "still downloading.flac").exists()


def test_housekeeping_can_be_turned_off(world, library_dirs, hdm):
    hdm["HDM_REMOVE_IMPORTED_TRANSFERS"] = False
    filename = world.offer("good_peer")
    job = _submit(1)
    assert job.state == JobState.DONE, _timeline(job)
    assert [t.removed for t in world.fake.transfers_for("good_peer", filename)] == [False]
    assert Path(job.download_path).parent.is_dir()


def test_after_a_verification_failure_the_dlq_says_why_and_no_useless_search_runs(world):
    garbage = bytes(len(world.audio(1)))  # the right size, but not audio at all
    world.offer("liar", content=garbage)
    job = _submit(1)
    assert job.state == JobState.DEAD, _timeline(job)
    assert job.dead_reason == DeadReason.VERIFICATION_FAILED
    assert job.last_error_detail.startswith("verification_failed: ")
    assert job.last_error_detail != "verification_failed: "
    # The only offered file is blocklisted now: a fresh search would find only it again.
    assert "fresh_search" not in job.events.values_list("reason", flat=True)


def _offer_unrated_lossless(world, username: str = "quiet") -> str:
    """A real FLAC offered the way real slskd shows lossless files: no bit rate."""
    content = world.audio(1)
    filename = f"{FOLDER}\\01 - {make_meta(1).title}.flac"
    world.fake.set_content(username, filename, content)
    file = peer_file(filename, len(content), bit_depth=16, sample_rate=44100, length=2)
    world.fake.script_search("alpha", responses=[peer_response(username, [file])])
    return filename


def test_small_lossless_files_are_refused_in_words_and_the_floor_is_a_knob(world):
    _offer_unrated_lossless(world)
    with knobs_set(QUALITY_LOSSLESS_FLOOR_KBPS="160"):
        job = _submit(1)
    assert job.dead_reason == DeadReason.NO_CANDIDATES, _timeline(job)
    assert "truncated" in job.last_error_detail
    assert "QUALITY_LOSSLESS_FLOOR_KBPS" in job.last_error_detail
    refused = job.candidates.get(state=Candidate.State.REJECTED)
    assert "too small for 2 s" in refused.score["detail"]


def test_a_lower_lossless_floor_lets_a_quiet_lossless_file_through(world):
    _offer_unrated_lossless(world)
    with knobs_set(QUALITY_LOSSLESS_FLOOR_KBPS="0"):
        job = _submit(1)
    assert job.state == JobState.DONE, _timeline(job)


def test_a_ban_pauses_searching_and_halves_the_budget(world, hdm):
    from downloads.models import SearchBudget
    from downloads.stages.budget import budget_status

    hdm["HDM_SEARCH_BUDGET"] = 30
    world.offer("good_peer")
    banned = Reply.json("Server message: you are banned from searching", 500)
    world.fake.inject("POST", r"/api/v0/searches", banned)
    job = _submit(1, run=False)
    assert Job.objects.get(pk=job.pk).state == JobState.SEARCHING
    status = budget_status()
    assert status["paused_until"] is not None and "banned" in status["pause_reason"]
    assert SearchBudget.objects.get().ban_factor == 0.5


def test_a_lost_enqueue_that_already_finished_at_the_wrong_size_is_adopted_and_failed(
    world, library_dirs
):
    """The enqueue's answer was lost and slskd finished the download meanwhile, cut short:
    the job adopts that transfer (no second copy from the same peer) and fails it as
    wrong_size, instead of leaving the cut file behind as an orphan."""
    size = len(world.audio(1))
    first = world.offer("first", speed=9_000_000, delivered_bytes=size * 3 // 5)
    world.offer("second", speed=10_000)
    clients.slskd_client().enqueue_download("first", [(first, size)])  # the lost enqueue
    world.fake.advance(12)  # slskd ran it to the end and moved the (short) file into place
    assert world.fake.transfers_for("first", first)[0].local_path is not None
    job = _submit(1)
    assert job.state == JobState.DONE, _timeline(job)
    assert "transfer_adopted" in job.events.values_list("reason", flat=True)
    assert job.candidates.get(username="first").failure_reason == "wrong_size"
    assert len(world.fake.transfers_for("first", first)) == 1
    assert [p.stat().st_size for p in quarantine_dir().glob("*.flac")] == [size * 3 // 5]
