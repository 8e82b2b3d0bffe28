"""The sweeper: finds work whose task was lost and hands it to the cluster again.

A lost enqueue (crash between commit and enqueue), a SIGKILLed worker (its lease expires) or a
retry whose time has come all end here, so they only delay work and never lose it. Runs as the
`hdm-sweep` schedule (see downloads/jobs/schedules.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from downloads.jobs.dispatch import SWEEP_BATCH, dispatch_due, resume_due_retries
from downloads.jobs.queue import enqueue_job
from downloads.jobs.state import transition
from downloads.models import LIVE_STATES, WORKING_STATES, Job, JobScope, JobState, runnable_jobs
from harmony_site.config import knob
from providers.errors import ProviderError

logger = logging.getLogger("hdm.recovery")


@dataclass
class SweepReport:
    retried: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    enqueued: list[int] = field(default_factory=list)
    parents_done: list[int] = field(default_factory=list)
    transfers_removed: list[str] = field(default_factory=list)


def sweep_jobs() -> SweepReport:
    """Resume due retries, release expired leases and re-enqueue idle due jobs (by priority)."""
    report = SweepReport(retried=resume_due_retries(now=timezone.now(), limit=SWEEP_BATCH))
    _release_expired_leases(report)
    report.enqueued += dispatch_due()
    _enqueue_idle(report)
    _finish_parents(report)
    _clean_up_transfers(report)
    return report


def _clean_up_transfers(report: SweepReport) -> None:
    """Remove slskd's records of transfers Harmony cancelled before they had finished."""
    from downloads.stages.download import clean_up_transfers

    try:
        report.transfers_removed = clean_up_transfers()
    except ProviderError as exc:  # slskd down: the rows stay for the next sweep
        logger.warning("hdm.download.cleanup_failed", extra={"error": str(exc)})


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
