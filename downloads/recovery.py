"""The sweeper: finds work whose task was lost and hands it to the cluster again.

A lost enqueue (crash between commit and enqueue), a SIGKILLed worker (its lease expires) or a
retry whose time has come all end here, so they only delay work and never lose it. Runs as the
`hdm-sweep` schedule (see downloads/schedules.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import DatabaseError, close_old_connections
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from downloads.conf import knob
from downloads.models import LIVE_STATES, WORKING_STATES, Job, JobScope, JobState, runnable_jobs
from downloads.services import arm_dispatcher, enqueue_job, transition
from providers.errors import ProviderError

logger = logging.getLogger("hdm.recovery")

SWEEP_BATCH = 500


@dataclass
class SweepReport:
    retried: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    enqueued: list[int] = field(default_factory=list)
    parents_done: list[int] = field(default_factory=list)
    transfers_removed: list[str] = field(default_factory=list)


def sweep_jobs() -> SweepReport:
    """Resume due retries, release expired leases and re-enqueue idle due jobs (by priority)."""
    report = SweepReport(retried=_resume_due_retries(now=timezone.now(), limit=SWEEP_BATCH))
    _release_expired_leases(report)
    report.enqueued += dispatch_due()
    _enqueue_idle(report)
    _finish_parents(report)
    _clean_up_transfers(report)
    return report


def _clean_up_transfers(report: SweepReport) -> None:
    """Remove slskd's records of transfers Harmony cancelled before they had finished."""
    from downloads.transfers import clean_up_transfers

    try:
        report.transfers_removed = clean_up_transfers()
    except ProviderError as exc:  # slskd down: the rows stay for the next sweep
        logger.warning("hdm.download.cleanup_failed", extra={"error": str(exc)})


def dispatch_due(*, limit: int = SWEEP_BATCH, arm: bool = True) -> list[int]:
    """Send the jobs whose wait is over to the cluster, highest priority first.

    Waits (polls, the search gap, backoffs) end here instead of in a sleeping worker. Each
    job is sent once: the send clears `next_attempt_at` with a conditional UPDATE, so two
    dispatchers never both send it. `arm` re-arms the `hdm-dispatch` schedule for the next
    wait (the schedule's own run does; a finished task's quick pull does not).
    """
    now = timezone.now()
    sent = _resume_due_retries(now=now, limit=limit)
    due = Job.objects.filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
        runnable_jobs(),
        state__in=WORKING_STATES,
        next_attempt_at__lte=now,
    )
    rows = due.order_by("-priority", "next_attempt_at").values_list("pk", "next_attempt_at")
    for pk, at in rows[: max(limit - len(sent), 0)]:
        if Job.objects.filter(pk=pk, next_attempt_at=at).update(
            next_attempt_at=None, updated_at=now
        ):
            sent.append(pk)
            enqueue_job(pk)
    if arm:
        _arm_next_wait(now)
    return sent


def run_dispatcher(stop: threading.Event) -> int:
    """Send due jobs every HDM_POLL_INTERVAL_S until `stop` is set (at least once); returns
    how many were sent. The loop of `manage.py harmony_dispatcher`: a timer, not a worker."""
    sent = 0
    while True:
        try:
            sent += len(dispatch_due())
        except DatabaseError as exc:  # the database restarting: try again next tick
            logger.warning("hdm.recovery.dispatch_failed", extra={"error": str(exc)})
        if stop.is_set():
            return sent
        close_old_connections()  # a long-lived loop: drop a broken or outdated connection
        if stop.wait(knob("HDM_POLL_INTERVAL_S")):
            return sent


def _arm_next_wait(now) -> None:
    waiting = Job.objects.filter(state__in=LIVE_STATES, next_attempt_at__gt=now)
    first = waiting.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    if first is not None:
        arm_dispatcher(first)


def _resume_due_retries(*, now, limit: int) -> list[int]:
    resumed = []
    due = Job.objects.filter(state=JobState.FAILED, next_attempt_at__lte=now)
    for job in due.order_by("-priority", "next_attempt_at")[:limit]:
        target = job.retry_state or JobState.QUEUED
        if transition(job, to=target, reason="retry_due", claimed=False, next_attempt_at=None):
            resumed.append(job.pk)
            logger.info("hdm.recovery.retrying", extra={"job_id": job.pk, "state": target})
    return resumed


def _release_expired_leases(report: SweepReport) -> None:
    now = timezone.now()
    expired = Job.objects.filter(state__in=WORKING_STATES, lease_expires_at__lt=now)
    for job in expired[:SWEEP_BATCH]:
        # Conditional on the same lease: a worker that just renewed it keeps it.
        released = Job.objects.filter(pk=job.pk, lease_expires_at=job.lease_expires_at).update(
            claimed_by="", lease_expires_at=None, next_attempt_at=None
        )
        if released:
            report.expired.append(job.pk)
            logger.warning(
                "hdm.recovery.lease_expired",
                extra={"job_id": job.pk, "state": job.state, "worker": job.claimed_by},
            )
            enqueue_job(job.pk)


def _enqueue_idle(report: SweepReport) -> None:
    """Due, unclaimed jobs untouched for a while: their task was lost (or never sent)."""
    now = timezone.now()
    # Untouched for a lease (at most a minute): its task died between polls or was never sent.
    quiet = now - timedelta(seconds=min(knob("HDM_LEASE_S"), 60.0))
    idle = Job.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        runnable_jobs(),
        state__in=WORKING_STATES,
        lease_expires_at__isnull=True,
        updated_at__lt=quiet,
    ).exclude(pk__in=report.expired)
    for pk in idle.order_by("-priority", "created_at").values_list("pk", flat=True)[:SWEEP_BATCH]:
        report.enqueued.append(pk)
        enqueue_job(pk)
    if report.enqueued:
        logger.info("hdm.recovery.requeued", extra={"count": len(report.enqueued)})


def _finish_parents(report: SweepReport) -> None:
    """A parent request is done once none of its children is live."""
    live_child = Job.objects.filter(parent=OuterRef("pk"), state__in=LIVE_STATES)
    any_child = Job.objects.filter(parent=OuterRef("pk"))
    # An album still collecting its tracks (none submitted yet) is not finished.
    collecting = runnable_jobs() & ~Q(Exists(any_child))
    parents = Job.objects.filter(state__in=LIVE_STATES).exclude(scope=JobScope.TRACK)
    parents = parents.exclude(collecting)
    for parent in parents.filter(~Exists(live_child))[:SWEEP_BATCH]:
        if transition(parent, to=JobState.DONE, reason="children_finished", claimed=False):
            report.parents_done.append(parent.pk)
