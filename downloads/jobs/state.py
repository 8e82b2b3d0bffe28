"""How a job moves: transitions, claims, applying a stage's outcome, backoff.

Every state change is a conditional UPDATE on the job row (`filter(pk=…, state=expected)`), so
two workers — or a worker and an operator — never both advance one job: the loser updates zero
rows, logs `hdm.job.claim_skipped` and stops. Each change records a `JobEvent` in the same
transaction, and enqueues the next stage only after commit (`downloads.jobs.queue`).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from downloads.jobs.conf import knob
from downloads.jobs.outcomes import Advance, Dead, Outcome, Retry, Wait
from downloads.jobs.queue import arm_dispatcher, enqueue_job
from downloads.models import (
    LIVE_STATES,
    TERMINAL_STATES,
    WORKING_STATES,
    DeadReason,
    Job,
    JobEvent,
    JobState,
    StageGate,
    runnable_jobs,
)

logger = logging.getLogger("hdm.job")
recovery_log = logging.getLogger("hdm.recovery")

_HOST = f"{socket.gethostname()}:{os.getpid()}"
_BACKOFF_KNOBS = {
    "provider": "HDM_BACKOFF_PROVIDER_S",
    "rate_limited": "HDM_BACKOFF_RATE_LIMIT_S",
    "peer": "HDM_BACKOFF_PEER_S",
    "verification": "HDM_BACKOFF_VERIFY_S",
    "disk": "HDM_BACKOFF_DISK_S",
    "internal": "HDM_BACKOFF_PROVIDER_S",
}
_DEAD_REASONS = {
    "provider": DeadReason.PROVIDER_UNAVAILABLE,
    "rate_limited": DeadReason.PROVIDER_UNAVAILABLE,
    "disk": DeadReason.DISK_ERROR,
    "internal": DeadReason.INTERNAL_ERROR,
}
_POSTPROCESS = (JobState.VERIFYING, JobState.TAGGING, JobState.MOVING)
_STAGE_LIMITS = {
    JobState.SEARCHING: "HDM_MAX_SEARCHES",
    JobState.DOWNLOADING: "HDM_MAX_DOWNLOADS",
    **dict.fromkeys(_POSTPROCESS, "HDM_MAX_POSTPROCESS"),
}


def _now() -> datetime:
    return timezone.now()


# --- Timeline and transitions --------------------------------------------------------------


def record_event(
    job_id: int, *, from_state: str, to_state: str, reason: str, details: dict | None = None
) -> JobEvent:
    return JobEvent.objects.create(
        job_id=job_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        details=details or {},
    )


def _release_fields() -> dict[str, Any]:
    return {"claimed_by": "", "lease_expires_at": None, "lost_runs": 0}


def transition(
    job: Job,
    *,
    to: str,
    reason: str,
    details: dict | None = None,
    claimed: bool = True,
    **fields: Any,
) -> bool:
    """Move `job` from its current state to `to` if nobody moved it first; False otherwise.

    `claimed=True` also requires that this worker still holds the claim (and releases it).
    """
    now = _now()
    values: dict[str, Any] = {"state": to, "updated_at": now, **_release_fields(), **fields}
    if to in TERMINAL_STATES:
        values.update(live_key=None, finished_at=now)
    if to != JobState.FAILED:
        values.setdefault("next_attempt_at", None)
    query = Job.objects.filter(pk=job.pk, state=job.state)
    if claimed:
        query = query.filter(claimed_by=job.claimed_by)
    with transaction.atomic():
        if not query.update(**values):
            _log_skip(job, wanted=to, reason=reason)
            return False
        record_event(job.pk, from_state=job.state, to_state=to, reason=reason, details=details)
        _send_when_due(job.pk, to=to, until=values.get("next_attempt_at"), now=now)
    for name, value in values.items():
        setattr(job, name, value)
    logger.info(
        "hdm.job.transition",
        extra={"job_id": job.pk, "from_state": job.state, "to_state": to, "reason": reason},
    )
    return True


def _send_when_due(job_id: int, *, to: str, until: datetime | None, now: datetime) -> None:
    """Enqueue a job entering a working state now, or arm the dispatcher for its later time
    (a retry's backoff, a next candidate after a pause)."""
    if until is not None and until > now:
        if to in LIVE_STATES:
            arm_dispatcher(until)
    elif to in WORKING_STATES:
        enqueue_job(job_id)


def _log_skip(job: Job, *, wanted: str, reason: str) -> None:
    logger.info(
        "hdm.job.claim_skipped",
        extra={"job_id": job.pk, "state": job.state, "wanted_state": wanted, "reason": reason},
    )


def update_claimed(job: Job, **fields: Any) -> bool:
    """Write fields of a job this worker holds; False when the claim was lost meanwhile."""
    values = {"updated_at": _now(), **fields}
    rows = Job.objects.filter(pk=job.pk, state=job.state, claimed_by=job.claimed_by).update(
        **values
    )
    if not rows:
        _log_skip(job, wanted=job.state, reason="update")
        return False
    for name, value in values.items():
        setattr(job, name, value)
    return True


def record_stage(job: Job, *, to: str, reason: str, details: dict | None = None) -> bool:
    """Move a claimed job to the next step of the stage it is running, keeping the claim.

    For steps inside one task (verifying → tagging → moving): no enqueue, the lease stays;
    False when the claim was lost meanwhile.
    """
    now = _now()
    with transaction.atomic():
        rows = Job.objects.filter(pk=job.pk, state=job.state, claimed_by=job.claimed_by).update(
            state=to, updated_at=now
        )
        if not rows:
            _log_skip(job, wanted=to, reason=reason)
            return False
        record_event(job.pk, from_state=job.state, to_state=to, reason=reason, details=details)
    logger.info(
        "hdm.job.transition",
        extra={"job_id": job.pk, "from_state": job.state, "to_state": to, "reason": reason},
    )
    job.state, job.updated_at = to, now
    return True


# --- Claims ---------------------------------------------------------------------------------


def claim_job(job_id: int, *, state: str) -> Job | None:
    """Take the lease on a due job in `state`; None when another worker or a limit won.

    The run is counted (`lost_runs`) here, before any work: a task that kills its worker every
    time is dead-lettered after HDM_MAX_LOST_RUNS claims instead of looping forever.
    """
    now = _now()
    token = f"{_HOST}:{uuid.uuid4().hex[:8]}"
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    with transaction.atomic():
        if state in _STAGE_LIMITS and not _stage_has_room(job_id, state=state, now=now):
            retry_at = now + timedelta(seconds=knob("HDM_POLL_INTERVAL_S"))
            Job.objects.filter(pk=job_id, state=state).filter(free).update(next_attempt_at=retry_at)
            arm_dispatcher(retry_at)
            logger.info("hdm.job.stage_full", extra={"job_id": job_id, "state": state})
            return None
        rows = (
            Job.objects.filter(due, free, pk=job_id, state=state)
            .filter(runnable_jobs())
            .update(
                claimed_by=token,
                claimed_at=now,
                lease_expires_at=now + timedelta(seconds=knob("HDM_LEASE_S")),
                lost_runs=F("lost_runs") + 1,
                updated_at=now,
            )
        )
    if not rows:
        logger.info("hdm.job.claim_skipped", extra={"job_id": job_id, "state": state})
        return None
    job = Job.objects.get(pk=job_id)
    if job.lost_runs > knob("HDM_MAX_LOST_RUNS"):
        apply_outcome(job, Dead(DeadReason.WORKER_LOST, "worker_lost", _lost_detail(job)))
        return None
    return job


def _lost_detail(job: Job) -> str:
    return f"{job.lost_runs - 1} runs in state {job.state} never finished (worker killed?)"


def _stage_has_room(job_id: int, *, state: str, now: datetime) -> bool:
    """Count the jobs occupying this stage under a lock on the stage's gate row."""
    group = list(_POSTPROCESS) if state in _POSTPROCESS else [state]
    occupying = Q(lease_expires_at__gt=now)
    if state == JobState.SEARCHING:
        occupying |= Q(current_search__isnull=False)
    if state == JobState.DOWNLOADING:
        occupying |= ~Q(transfer_id="")
    # Already holding a slot (an open search or transfer: every poll) counts nothing, so it
    # takes no gate lock either.
    if Job.objects.filter(pk=job_id).filter(occupying).exists():
        return True
    StageGate.objects.get_or_create(stage=group[0])
    # Serialises the counting claimers of one stage (SQLite's IMMEDIATE transactions already
    # serialise every writer; on PostgreSQL this row lock does it).
    StageGate.objects.select_for_update().filter(stage=group[0]).first()
    count = Job.objects.filter(occupying, state__in=group).exclude(pk=job_id).count()
    if count >= knob(_STAGE_LIMITS[state]):
        return False
    return not _higher_priority_waiting(job_id, group=group, occupying=occupying, now=now)


def _higher_priority_waiting(job_id: int, *, group: list[str], occupying: Q, now: datetime) -> bool:
    """A free slot goes to the highest-priority job that is due for this stage: a lower one
    yields (and comes back a poll later) while a higher one waits for its worker."""
    priority = Job.objects.filter(pk=job_id).values_list("priority", flat=True).first() or 0
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return (
        Job.objects.filter(due, runnable_jobs(), state__in=group, priority__gt=priority)
        .exclude(occupying)
        .exists()
    )


# --- Outcomes -------------------------------------------------------------------------------


def apply_outcome(job: Job, outcome: Outcome) -> bool:
    """Apply what a stage decided, guarded by this worker's claim."""
    if isinstance(outcome, Advance):
        return transition(
            job, to=outcome.to, reason=outcome.reason, details=outcome.details, **outcome.fields
        )
    if isinstance(outcome, Wait):
        return _apply_wait(job, outcome)
    if isinstance(outcome, Retry):
        return _apply_retry(job, outcome)
    return _apply_dead(job, outcome)


def _apply_wait(job: Job, wait: Wait) -> bool:
    """Release the job until `wait.until`. No worker sleeps it out: a wait that is already
    over is enqueued now, a later one is sent by the dispatcher when it is due."""
    due_now = wait.until <= _now()
    until = None if due_now else wait.until
    with transaction.atomic():
        if not update_claimed(job, next_attempt_at=until, **_release_fields(), **wait.fields):
            return False
        if wait.reason:
            record_event(
                job.pk,
                from_state=job.state,
                to_state=job.state,
                reason=wait.reason,
                details=wait.details,
            )
        if due_now:
            enqueue_job(job.pk)
        else:
            arm_dispatcher(wait.until)
    return True


def backoff_delay(failure_class: str, attempt: int, *, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped, never below
    a provider's Retry-After."""
    base = knob(_BACKOFF_KNOBS.get(failure_class, "HDM_BACKOFF_PROVIDER_S"))
    ceiling = min(knob("HDM_BACKOFF_MAX_S"), base * 2 ** max(attempt - 1, 0))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
    return max(delay, retry_after or 0.0)


def _apply_retry(job: Job, retry: Retry) -> bool:
    attempts = job.attempts + 1
    if attempts > knob("HDM_MAX_RETRIES"):
        reason = _DEAD_REASONS.get(retry.failure_class, DeadReason.INTERNAL_ERROR)
        return _apply_dead(job, Dead(reason, retry.code, retry.detail))
    delay = backoff_delay(retry.failure_class, attempts, retry_after=retry.retry_after)
    moved = transition(
        job,
        to=JobState.FAILED,
        reason=retry.code,
        details={"detail": retry.detail[:2000], "retry_in_s": round(delay, 1)},
        retry_state=job.state,
        attempts=attempts,
        next_attempt_at=_now() + timedelta(seconds=delay),
        last_error_code=retry.code,
        last_error_detail=retry.detail,
    )
    if moved:
        recovery_log.warning(
            "hdm.recovery.retry_scheduled",
            extra={
                "job_id": job.pk,
                "code": retry.code,
                "failure_class": retry.failure_class,
                "attempt": attempts,
                "retry_in_s": round(delay, 1),
            },
        )
    return moved


def _apply_dead(job: Job, dead: Dead) -> bool:
    moved = transition(
        job,
        to=JobState.DEAD,
        reason=dead.reason,
        details={"code": dead.code, "detail": dead.detail[:2000]},
        dead_reason=dead.reason,
        last_error_code=dead.code,
        last_error_detail=dead.detail,
    )
    if moved:
        recovery_log.error(
            "hdm.recovery.dead_lettered",
            extra={"job_id": job.pk, "reason": dead.reason, "code": dead.code},
        )
    return moved
