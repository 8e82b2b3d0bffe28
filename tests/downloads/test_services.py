"""Job submission, claims, transitions, retries and the dead-letter operations."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from downloads import actions, submit
from downloads.jobs import queue, state
from downloads.jobs.outcomes import Advance, Dead, Retry, Wait
from downloads.models import DeadReason, Job, JobEvent, JobKind, JobState
from tests.downloads.conftest import make_meta, run_children

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_dispatch(monkeypatch):
    """These tests drive the state machine by hand: nothing is sent to the cluster."""
    sent: list[int] = []
    monkeypatch.setattr(queue, "_dispatch", sent.append)
    return sent


def _claimed(job: Job) -> Job:
    claimed = state.claim_job(job.pk, state=job.state)
    assert claimed is not None
    return claimed


def test_submit_wanted_creates_a_queued_job_with_a_timeline(hdm):
    result = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="user:alice")
    assert result.status == "enqueued"
    job = result.job
    assert job.state == JobState.QUEUED
    assert job.priority == hdm["HDM_PRIORITY_MANUAL"]
    assert job.live_key == job.wanted_key == "spotify:sp00000000000000000001"
    assert list(job.events.values_list("to_state", "reason")) == [("queued", "submitted")]


def test_submit_wanted_twice_returns_the_live_job(hdm):
    first = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="a")
    second = submit.submit_wanted(make_meta(), kind=JobKind.WATCHLIST, actor="b")
    assert second.status == "already_enqueued"
    assert second.job.pk == first.job.pk
    assert Job.objects.count() == 1


def test_priorities_default_by_kind(hdm):
    kinds = [JobKind.BACKFILL, JobKind.MANUAL, JobKind.WATCHLIST]
    for n, kind in enumerate(kinds):
        submit.submit_wanted(make_meta(n), kind=kind, actor="t")
    assert list(Job.objects.values_list("kind", flat=True)) == ["manual", "watchlist", "backfill"]


def test_a_finished_job_frees_the_reservation(hdm):
    first = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="t").job
    assert actions.cancel_job(first, actor="t")
    again = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="t")
    assert again.status == "enqueued" and again.job.pk != first.pk


def test_text_only_items_reserve_on_normalised_names(hdm):
    one = make_meta(spotify_track_id="", title="Déjà Vu (feat. JAY-Z)", artists=("Beyoncé",))
    two = make_meta(spotify_track_id="", title="deja vu", artists=("BEYONCE",))
    first = submit.submit_wanted(one, kind=JobKind.MANUAL, actor="t")
    assert submit.submit_wanted(two, kind=JobKind.MANUAL, actor="t").job.pk == first.job.pk


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_duplicate_submissions_make_one_job(hdm):
    results: list[str] = []
    barrier = threading.Barrier(20)

    def submit_many() -> None:
        barrier.wait()
        for _ in range(10):
            result = submit.submit_wanted(make_meta(7), kind=JobKind.MANUAL, actor="t")
            results.append(result.status)
        connection.close()

    threads = [threading.Thread(target=submit_many) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 200
    assert results.count("enqueued") == 1
    assert Job.objects.count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_from_processes_make_one_job(hdm):
    code = (
        "from downloads import submit\n"
        "from downloads.jobs import queue\n"
        "from tests.downloads.conftest import make_meta\n"
        "queue._dispatch = lambda job_id: None\n"
        "for _ in range(25):\n"
        "    r = submit.submit_wanted(make_meta(9), kind='manual', actor='p')\n"
        "    print(r.status)\n"
    )
    outputs = run_children(code, 4)
    statuses = [line for out in outputs for line in out.split()]
    assert len(statuses) == 100
    assert statuses.count("enqueued") == 1
    assert Job.objects.count() == 1


def test_claim_skips_when_another_worker_holds_the_job(hdm, caplog):
    job = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="t").job
    assert state.claim_job(job.pk, state=JobState.QUEUED) is not None
    with caplog.at_level("INFO", logger="hdm.job"):
        assert state.claim_job(job.pk, state=JobState.QUEUED) is None
    assert "hdm.job.claim_skipped" in caplog.messages


def test_a_worker_that_lost_its_claim_cannot_advance_the_job(hdm, caplog):
    job = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="t").job
    mine = _claimed(job)
    actions.cancel_job(Job.objects.get(pk=job.pk), actor="operator")
    with caplog.at_level("INFO", logger="hdm.job"):
        assert not state.apply_outcome(mine, Advance(JobState.MATCHING, "started"))
    assert "hdm.job.claim_skipped" in caplog.messages
    assert Job.objects.get(pk=job.pk).state == JobState.CANCELLED


def test_an_expired_lease_can_be_claimed_again(hdm):
    job = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="t").job
    _claimed(job)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    again = state.claim_job(job.pk, state=JobState.QUEUED)
    assert again is not None and again.lost_runs == 2


def test_a_job_whose_worker_keeps_dying_is_dead_lettered(hdm):
    job = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="t").job
    for _ in range(hdm["HDM_MAX_LOST_RUNS"]):
        assert state.claim_job(job.pk, state=JobState.QUEUED) is not None
        # The worker dies: the lease simply runs out.
        Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
    assert state.claim_job(job.pk, state=JobState.QUEUED) is None
    job.refresh_from_db()
    assert job.state == JobState.DEAD and job.dead_reason == DeadReason.WORKER_LOST
    assert job.live_key is None


def test_a_finished_run_resets_the_lost_run_count(hdm):
    job = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="t").job
    claimed = _claimed(job)
    state.apply_outcome(claimed, Wait(timezone.now()))
    assert Job.objects.get(pk=job.pk).lost_runs == 0


def test_transient_failures_back_off_then_dead_letter(hdm, caplog):
    hdm["HDM_MAX_RETRIES"] = 2
    job = submit.submit_wanted(make_meta(), kind=JobKind.MANUAL, actor="t").job
    with caplog.at_level("INFO", logger="hdm.recovery"):
        for attempt in (1, 2, 3):
            claimed = _claimed(Job.objects.get(pk=job.pk))
            state.apply_outcome(claimed, Retry("provider", "provider_unavailable", "down"))
            job.refresh_from_db()
            if attempt < 3:
                assert job.state == JobState.FAILED and job.attempts == attempt
                assert job.retry_state == JobState.QUEUED
                assert job.next_attempt_at > timezone.now()
                actions.retry_job(job, actor="t")  # due now
    assert job.state == JobState.DEAD
    assert job.dead_reason == DeadReason.PROVIDER_UNAVAILABLE
    assert job.last_error_code == "provider_unavailable"
    assert caplog.messages.count("hdm.recovery.retry_scheduled") == 2
    assert "hdm.recovery.dead_lettered" in caplog.messages


def test_backoff_grows_with_jitter_and_honours_retry_after(hdm):
    hdm["HDM_BACKOFF_PROVIDER_S"] = 10.0
    hdm["HDM_BACKOFF_MAX_S"] = 1000.0
    first = state.backoff_delay("provider", 1)
    third = state.backoff_delay("provider", 3)
    assert 5.0 <= first <= 10.0
    assert 20.0 <= third <= 40.0
    assert state.backoff_delay("rate_limited", 1, retry_after=500) == 500
    hdm["HDM_BACKOFF_MAX_S"] = 15.0
    assert state.backoff_delay("provider", 10) <= 15.0


def test_dead_jobs_requeue_idempotently_and_purge(hdm, caplog):
    jobs = [submit.submit_wanted(make_meta(n), kind="manual", actor="t").job for n in range(3)]
    for job in jobs[:2]:
        state.apply_outcome(_claimed(job), Dead(DeadReason.NO_CANDIDATES, "no_candidates"))
    with caplog.at_level("INFO", logger="hdm.recovery"):
        counts = actions.requeue_dead_jobs([j.pk for j in jobs], actor="admin")
    assert counts == {"requeued": 2, "skipped": 1, "conflicts": 0}
    assert "hdm.recovery.requeued" in caplog.messages
    assert actions.requeue_dead_jobs([j.pk for j in jobs], actor="admin")["requeued"] == 0
    requeued = Job.objects.get(pk=jobs[0].pk)
    assert requeued.state == JobState.QUEUED and requeued.live_key == requeued.wanted_key
    assert requeued.events.filter(reason="requeued").exists()

    state.apply_outcome(_claimed(requeued), Dead(DeadReason.DISK_ERROR, "disk_error"))
    assert actions.purge_dead_jobs(Job.objects.all(), actor="admin") == 1
    assert not Job.objects.filter(pk=jobs[0].pk).exists()
    assert not JobEvent.objects.filter(job_id=jobs[0].pk).exists()


def test_requeue_refuses_when_a_new_job_holds_the_reservation(hdm):
    job = submit.submit_wanted(make_meta(), kind="manual", actor="t").job
    state.apply_outcome(_claimed(job), Dead(DeadReason.NO_CANDIDATES, "no_candidates"))
    submit.submit_wanted(make_meta(), kind="manual", actor="t")
    assert actions.requeue_dead_jobs([job.pk], actor="t")["conflicts"] == 1


def test_stage_limit_holds_extra_jobs_back(hdm):
    hdm["HDM_MAX_DOWNLOADS"] = 1
    jobs = [submit.submit_wanted(make_meta(n), kind="manual", actor="t").job for n in range(2)]
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(state=JobState.DOWNLOADING)
    assert state.claim_job(jobs[0].pk, state=JobState.DOWNLOADING) is not None
    assert state.claim_job(jobs[1].pk, state=JobState.DOWNLOADING) is None
    assert Job.objects.get(pk=jobs[1].pk).next_attempt_at is not None
