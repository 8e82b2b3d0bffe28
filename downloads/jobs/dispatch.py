"""Sending due jobs: every wait (a poll, the search gap, a backoff) ends here, not in a worker.

`dispatch_due` runs from the `hdm-dispatch` schedule, after every finished task and in the loop
of `manage.py harmony_dispatcher` (`run_dispatcher`).
"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, close_old_connections
from django.db.models import Q
from django.utils import timezone

from downloads.jobs.queue import arm_dispatcher, enqueue_job
from downloads.jobs.state import transition
from downloads.models import LIVE_STATES, WORKING_STATES, Job, JobState, runnable_jobs
from harmony_site.config import knob

logger = logging.getLogger("hdm.recovery")

SWEEP_BATCH = 500


def dispatch_due(*, limit: int = SWEEP_BATCH, arm: bool = True) -> list[int]:
    """Send the jobs whose wait is over to the cluster, highest priority first.

    Waits (polls, the search gap, backoffs) end here instead of in a sleeping worker. Each
    job is sent once: the send clears `next_attempt_at` with a conditional UPDATE, so two
    dispatchers never both send it. `arm` re-arms the `hdm-dispatch` schedule for the next
    wait (the schedule's own run does; a finished task's quick pull does not).
    """
    now = timezone.now()
    sent = resume_due_retries(now=now, limit=limit)
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


def resume_due_retries(*, now, limit: int) -> list[int]:
    resumed = []
    due = Job.objects.filter(state=JobState.FAILED, next_attempt_at__lte=now)
    for job in due.order_by("-priority", "next_attempt_at")[:limit]:
        target = job.retry_state or JobState.QUEUED
        if transition(job, to=target, reason="retry_due", claimed=False, next_attempt_at=None):
            resumed.append(job.pk)
            logger.info("hdm.recovery.retrying", extra={"job_id": job.pk, "state": target})
    return resumed
