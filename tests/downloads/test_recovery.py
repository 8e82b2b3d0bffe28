"""The sweeper, links expanding into parent + children, and the operator actions on jobs."""

from __future__ import annotations

import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from downloads import actions, submit
from downloads.jobs import dispatch, queue, state, sweeper, watchdog
from downloads.jobs.schedules import ensure_schedules
from downloads.models import Candidate, Job, JobState, file_key
from providers.spotify.links import parse_spotify_link
from tests.downloads.conftest import make_meta

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sent(monkeypatch) -> list[int]:
    """Job ids handed to the cluster (recorded instead of run)."""
    ids: list[int] = []
    monkeypatch.setattr(queue, "_dispatch", ids.append)
    return ids


def _submit(n: int = 1) -> Job:
    return submit.submit_wanted(make_meta(n), kind="manual", actor="t").job


def test_sweeper_resumes_due_retries_in_their_stage(hdm, django_capture_on_commit_callbacks):
    job = _submit()
    Job.objects.filter(pk=job.pk).update(
        state=JobState.FAILED,
        retry_state=JobState.DOWNLOADING,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = sweeper.sweep_jobs()
    assert report.retried == [job.pk]
    assert Job.objects.get(pk=job.pk).state == JobState.DOWNLOADING


def test_sweeper_releases_expired_leases_and_requeues(
    hdm, sent, django_capture_on_commit_callbacks
):
    job = _submit()
    state.claim_job(job.pk, state=JobState.QUEUED)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = sweeper.sweep_jobs()
    assert report.expired == [job.pk] and sent == [job.pk]
    assert Job.objects.get(pk=job.pk).claimed_by == ""


def test_sweeper_re_enqueues_jobs_whose_task_was_lost(
    hdm, sent, django_capture_on_commit_callbacks
):
    low, high = _submit(1), _submit(2)
    Job.objects.filter(pk=high.pk).update(priority=500)
    Job.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweeper.sweep_jobs()
    assert sent == [high.pk, low.pk]  # by priority


def test_sweeper_leaves_fresh_and_waiting_jobs_alone(hdm, sent, django_capture_on_commit_callbacks):
    job = _submit()
    Job.objects.filter(pk=job.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1),
        updated_at=timezone.now() - timedelta(minutes=5),
    )
    _submit(2)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweeper.sweep_jobs()
    assert sent == []


def test_schedules_are_created_once(hdm):
    from django_q.models import Schedule

    ensure_schedules()
    ensure_schedules()
    assert set(Schedule.objects.values_list("name", flat=True)) >= {"hdm-sweep", "hdm-heartbeat"}
    assert Schedule.objects.filter(name="hdm-sweep").count() == 1


def test_cluster_counts_as_stalled_once_the_heartbeat_is_old(hdm):
    assert not watchdog.cluster_stalled()  # never beaten, nothing waiting
    watchdog.beat()
    assert not watchdog.cluster_stalled()
    hdm["HDM_HEARTBEAT_STALE_S"] = 0.0
    assert watchdog.cluster_stalled()


def test_a_cluster_that_never_beat_is_stalled_when_a_task_waits_too_long(hdm):
    # The ORM broker enqueues with lock = now: a task waiting past the threshold is a stall
    # even before the first heartbeat (a worker SIGKILLed in the cluster's first minute).
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import OrmQ

    hdm["HDM_HEARTBEAT_STALE_S"] = 60.0
    OrmQ.objects.create(key="harmony", payload="x", lock=timezone.now())
    assert not watchdog.cluster_stalled()  # queued just now
    OrmQ.objects.update(lock=timezone.now() - timedelta(seconds=120))
    assert watchdog.cluster_stalled()


class StubSpotify:
    def album(self, album_id):
        return SimpleNamespace(name="Test Album", artists=("Test Artist",))

    def album_tracks(self, album_id):
        return [make_meta(n) for n in (1, 2, 3)]


def _submit_link(link: str) -> submit.Submission:
    ref = parse_spotify_link(link)
    return submit.submit_spotify_ref(ref, kind="manual", actor="t", client=StubSpotify())


def test_an_album_link_becomes_a_parent_with_one_child_per_track(hdm):
    link = "https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy?si=x"
    result = _submit_link(link)
    parent = result.job
    assert parent.scope == "album" and parent.label == "Test Artist — Test Album"
    assert [r.status for _meta, r in result.items] == ["enqueued"] * 3
    assert parent.children.count() == 3
    again = _submit_link(link)
    assert again.status == "already_enqueued" and Job.objects.count() == 4


def test_a_parent_is_done_when_no_child_is_live(hdm):
    result = _submit_link("spotify:album:4aawyAB9vmqN3uQ7FjRGTy")
    for child in result.job.children.all():
        actions.cancel_job(child, actor="t")
    assert sweeper.sweep_jobs().parents_done == [result.job.pk]


def test_choose_candidate_puts_it_first(hdm):
    job = _submit()
    rows = [
        Candidate.objects.create(
            job=job,
            key=file_key("u", f"f{i}", 1),
            username="u",
            filename=f"f{i}",
            size=1,
            rank=i + 1,
        )
        for i in range(2)
    ]
    actions.choose_candidate(job, rows[1], actor="alice")
    from downloads.stages.download import next_candidate

    assert next_candidate(job).pk == rows[1].pk
    assert job.events.filter(reason="candidate_chosen").exists()


def test_mark_wrong_file_blocklists_and_reruns_from_the_next_candidate(hdm):
    job = _submit()
    chosen = Candidate.objects.create(
        job=job,
        key=file_key("u", "f", 1),
        username="u",
        filename="f",
        size=1,
        rank=1,
        state=Candidate.State.CHOSEN,
    )
    Job.objects.filter(pk=job.pk).update(
        state=JobState.DONE, live_key=None, current_candidate=chosen
    )
    assert actions.mark_wrong_file(job, actor="alice")
    job.refresh_from_db()
    assert job.state == JobState.DOWNLOADING and job.live_key == job.wanted_key
    from downloads.models import CandidateBlock

    assert CandidateBlock.objects.filter(key=chosen.key, reason="wrong_file").exists()


def test_the_dispatcher_sends_jobs_whose_wait_is_over_once(
    hdm, sent, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    due, later = _submit(1), _submit(2)
    now = timezone.now()
    Job.objects.filter(pk=due.pk).update(next_attempt_at=now - timedelta(seconds=1))
    Job.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(hours=1))
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("harmony_dispatcher", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115
        dispatch.dispatch_due()  # a second dispatcher finds nothing left to send
    assert sent == [due.pk]
    assert Job.objects.get(pk=due.pk).next_attempt_at is None
    # The next wait armed the `hdm-dispatch` schedule for its time.
    from django_q.models import Schedule

    armed = Schedule.objects.get(name=queue.DISPATCH_SCHEDULE)
    assert armed.next_run == Job.objects.get(pk=later.pk).next_attempt_at and armed.repeats == 1
