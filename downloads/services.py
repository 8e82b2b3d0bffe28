"""Writes to download jobs: claims, transitions, submission and the operator actions.

Every state change is a conditional UPDATE on the job row (`filter(pk=…, state=expected)`), so
two workers — or a worker and an operator — never both advance one job: the loser updates zero
rows, logs `hdm.job.claim_skipped` and stops. Each change records a `JobEvent` in the same
transaction, and enqueues the next stage only after commit.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from downloads.conf import knob
from downloads.models import (
    LIVE_STATES,
    TERMINAL_STATES,
    WORKING_STATES,
    Candidate,
    CandidateBlock,
    DeadReason,
    Job,
    JobEvent,
    JobKind,
    JobScope,
    JobState,
    StageGate,
    file_key,
    runnable_jobs,
)
from downloads.outcomes import Advance, Dead, Outcome, Retry, Wait
from downloads.wanted import meta_label, meta_to_dict, wanted_key
from providers.types import TrackMeta

logger = logging.getLogger("hdm.job")
recovery_log = logging.getLogger("hdm.recovery")

_HOST = f"{socket.gethostname()}:{os.getpid()}"
_PRIORITY_KNOBS = {
    JobKind.MANUAL: "HDM_PRIORITY_MANUAL",
    JobKind.WATCHLIST: "HDM_PRIORITY_WATCHLIST",
    JobKind.BACKFILL: "HDM_PRIORITY_BACKFILL",
}
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


# --- Dispatch --------------------------------------------------------------------------------

_sync = threading.local()


def enqueue_job(job_id: int) -> None:
    """Run the job's current stage as a django-q2 task once the surrounding transaction commits."""
    transaction.on_commit(lambda: _dispatch(job_id))


def _dispatch(job_id: int) -> None:
    from django_q.tasks import async_task

    if not settings.Q_CLUSTER.get("sync"):
        async_task("downloads.tasks.run_job", job_id, group="hdm", q_options={"sync": False})
        return
    # Sync mode (tests, `sync: True`): run tasks one after another from a queue instead of
    # recursing, so a job that polls a hundred times does not grow the stack a hundred frames.
    pending = getattr(_sync, "pending", None)
    if pending is not None:
        pending.append(job_id)
        return
    _sync.pending = deque([job_id])
    try:
        while _sync.pending:
            async_task("downloads.tasks.run_job", _sync.pending.popleft(), sync=True)
    finally:
        _sync.pending = None


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
    StageGate.objects.get_or_create(stage=group[0])
    # Serialises the counting claimers of one stage (SQLite's IMMEDIATE transactions already
    # serialise every writer; on PostgreSQL this row lock does it).
    StageGate.objects.select_for_update().filter(stage=group[0]).first()
    occupying = Q(lease_expires_at__gt=now)
    if state == JobState.SEARCHING:
        occupying |= Q(current_search__isnull=False)
    if state == JobState.DOWNLOADING:
        occupying |= ~Q(transfer_id="")
    current = Job.objects.filter(pk=job_id).filter(occupying).exists()
    if current:
        return True  # already holds a slot (an open search or transfer)
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


DISPATCH_SCHEDULE = "hdm-dispatch"


def arm_dispatcher(until: datetime) -> None:
    """Make the `hdm-dispatch` schedule run no later than `until`.

    One django-q2 `ONCE` schedule row, moved earlier when needed: its task
    (`downloads.tasks.dispatch`) sends every due job and re-arms for the next wait. django-q2's
    scheduler looks about every 30 s, so this bounds how late a wait ends while the cluster is
    idle; while tasks run, each finished task sends due jobs itself (`recovery.dispatch_due`).
    """
    if settings.Q_CLUSTER.get("sync"):
        return  # no scheduler runs in sync mode; the caller drives `dispatch_due`
    from django_q.models import Schedule

    current = Schedule.objects.filter(name=DISPATCH_SCHEDULE).values("next_run", "repeats")
    armed = current.first()
    if armed and armed["repeats"] != 0 and armed["next_run"] <= until:
        return
    values = {"schedule_type": Schedule.ONCE, "repeats": 1, "next_run": until}
    if not Schedule.objects.filter(name=DISPATCH_SCHEDULE).update(**values):
        Schedule.objects.create(name=DISPATCH_SCHEDULE, func="downloads.tasks.dispatch", **values)


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


# --- Submission -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitResult:
    """`job` is None only for "owned" (then `library_file` is the copy that satisfied it)."""

    job: Job | None
    status: Literal["enqueued", "already_enqueued", "owned"]
    library_file: Any = None


def default_priority(kind: str) -> int:
    return knob(_PRIORITY_KNOBS[JobKind(kind)])


def live_job_for(key: str) -> Job | None:
    return Job.objects.filter(live_key=key).first()


def submit_wanted(
    meta: TrackMeta,
    *,
    kind: str,
    actor: str,
    priority: int | None = None,
    force: bool = False,
    parent: Job | None = None,
) -> SubmitResult:
    """Ask for one track. Idempotent: a live job for the same item is returned, not duplicated.

    Owned at acceptable quality (and not `force`) → "owned", without a job or a search.
    """
    key = wanted_key(meta)
    existing = live_job_for(key)
    if existing is not None:
        return SubmitResult(existing, "already_enqueued")
    if not force:
        owned = _find_owned(meta)
        if owned is not None:
            logger.info("hdm.dedupe.skipped", extra={"wanted_key": key, "file_id": owned.pk})
            return SubmitResult(None, "owned", owned)
    fields = {
        "wanted": meta_to_dict(meta),
        "label": meta_label(meta)[:600],
        "source_ref": meta.spotify_track_id and f"spotify:track:{meta.spotify_track_id}",
    }
    return _reserve(
        key,
        kind=kind,
        actor=actor,
        priority=priority,
        force=force,
        parent=parent,
        scope=JobScope.TRACK,
        fields=fields,
    )


def _find_owned(meta: TrackMeta) -> Any:
    from library import dedupe, quality

    return dedupe.find_owned(meta, profile=quality.QualityProfile.from_config())


def _reserve(
    key: str,
    *,
    kind: str,
    actor: str,
    priority: int | None,
    force: bool,
    parent: Job | None,
    scope: str,
    fields: dict[str, Any],
) -> SubmitResult:
    """Insert the job holding the live reservation; a concurrent twin makes the insert fail."""
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                scope=scope,
                priority=default_priority(kind) if priority is None else priority,
                parent=parent,
                wanted_key=key,
                live_key=key,
                force=force,
                actor=actor,
                **fields,
            )
            record_event(job.pk, from_state="", to_state=job.state, reason="submitted")
            if scope in (JobScope.TRACK, JobScope.ALBUM):  # an album searches for a folder
                enqueue_job(job.pk)
    except IntegrityError:
        existing = live_job_for(key)
        if existing is None:
            raise  # not the reservation: a real integrity problem
        return SubmitResult(existing, "already_enqueued")
    logger.info("hdm.match.enqueued", extra={"job_id": job.pk, "wanted_key": key, "kind": kind})
    return SubmitResult(job, "enqueued")


def submit_parent(
    *, scope: str, ref: str, label: str, kind: str, actor: str, priority: int | None = None
) -> SubmitResult:
    """Reserve the parent job of an album/playlist/artist request.

    An album's parent first searches for one peer's complete folder (`downloads/album.py`);
    the other parents run no stage and wait in `downloading` for their children.
    """
    state = JobState.QUEUED if scope == JobScope.ALBUM else JobState.DOWNLOADING
    return _reserve(
        f"{scope}:{ref}",
        kind=kind,
        actor=actor,
        priority=priority,
        force=False,
        parent=None,
        scope=scope,
        fields={"label": label[:600], "source_ref": ref, "state": state},
    )


@dataclass(frozen=True)
class LinkResult:
    """A submitted link: the parent job (None for a single track) and each track's result."""

    parent: SubmitResult | None
    tracks: list[SubmitResult]


def submit_link(text: str, *, kind: str, actor: str, priority: int | None = None) -> LinkResult:
    """Submit a Spotify track, album, playlist or artist link (or URI).

    A track becomes one job; an album/playlist/artist becomes a parent job holding one child
    per track, each child reserved and owned-checked like any single submission. Raises
    `InvalidSpotifyLink` for text that is not a Spotify link.
    """
    from downloads.clients import spotify_client
    from providers.spotify.links import local_track_meta, parse_spotify_link

    ref = parse_spotify_link(text)
    if ref.kind == "local":
        return LinkResult(None, [_submit_one(local_track_meta(ref), kind, actor, priority)])
    client = spotify_client()
    if ref.kind == "track":
        return LinkResult(None, [_submit_one(client.track(ref.id), kind, actor, priority)])
    label, metas = _expand(client, ref)
    parent = submit_parent(
        scope=ref.kind, ref=ref.uri, label=label, kind=kind, actor=actor, priority=priority
    )
    if parent.status == "already_enqueued":
        return LinkResult(parent, [])
    children = [
        submit_wanted(meta, kind=kind, actor=actor, priority=priority, parent=parent.job)
        for meta in metas
    ]
    return LinkResult(parent, children)


def _submit_one(meta: TrackMeta, kind: str, actor: str, priority: int | None) -> SubmitResult:
    return submit_wanted(meta, kind=kind, actor=actor, priority=priority)


def _expand(client: Any, ref: Any) -> tuple[str, list[TrackMeta]]:
    """The request's name and its tracks, in order."""
    if ref.kind == "album":
        return client.album(ref.id).name, client.album_tracks(ref.id)
    if ref.kind == "playlist":
        return client.playlist(ref.id).name, client.playlist_tracks(ref.id)
    albums = client.artist_albums(ref.id)
    metas = [meta for album in albums for meta in client.album_tracks(album.id)]
    name = metas[0].artist if metas else ref.id
    return name, metas


# --- Operator actions -----------------------------------------------------------------------


class JobActionError(Exception):
    """An operator action that does not apply to the job as it is (clear message)."""


def cancel_job(job: Job, *, actor: str) -> bool:
    """Cancel a live job (and its slskd transfer, best effort). False if it was already final."""
    job.refresh_from_db()
    if job.state not in LIVE_STATES:
        return False
    transfer = (job.transfer_username, job.transfer_id)
    if not transition(
        job, to=JobState.CANCELLED, reason="cancelled", claimed=False, details={"actor": actor}
    ):
        return False
    if all(transfer):
        from downloads.transfers import cancel_transfer

        cancel_transfer(*transfer, job_id=job.pk, reason="job_cancelled")
    for child in job.children.filter(state__in=LIVE_STATES):
        cancel_job(child, actor=actor)
    return True


def retry_job(job: Job, *, actor: str) -> bool:
    """Run a waiting (`failed`) job now, or requeue a dead or cancelled one."""
    job.refresh_from_db()
    if job.state == JobState.FAILED:
        return transition(
            job,
            to=job.retry_state or JobState.QUEUED,
            reason="retry_now",
            claimed=False,
            details={"actor": actor},
        )
    if job.state in (JobState.DEAD, JobState.CANCELLED):
        return _requeue(job, actor=actor)
    raise JobActionError(f"job {job.pk} is {job.state}: only failed, dead or cancelled jobs retry")


def _requeue(job: Job, *, actor: str) -> bool:
    """Back to `queued` with fresh budgets; the live reservation is taken again."""
    try:
        with transaction.atomic():
            moved = transition(
                job,
                to=JobState.QUEUED,
                reason="requeued",
                claimed=False,
                details={"actor": actor, "previous_reason": job.dead_reason},
                live_key=job.wanted_key,
                attempts=0,
                lost_runs=0,
                query_index=0,
                search_rounds=0,
                dead_reason="",
                finished_at=None,
                current_search=None,
                **_transfer_cleared(),
            )
    except IntegrityError:
        raise JobActionError(f"job {job.pk}: another live job already wants this item") from None
    if moved:
        recovery_log.info("hdm.recovery.requeued", extra={"job_id": job.pk, "actor": actor})
    return moved


def _transfer_cleared() -> dict[str, Any]:
    return {
        "current_candidate": None,
        "transfer_id": "",
        "transfer_username": "",
        "transfer_state": "",
        "transfer_enqueued_at": None,
        "transfer_progress_at": None,
        "transfer_terminal_since": None,
        "bytes_transferred": 0,
        "bytes_total": 0,
        "download_path": "",
    }


def set_priority(job: Job, *, priority: int, actor: str) -> None:
    Job.objects.filter(pk=job.pk).update(priority=priority, updated_at=_now())
    record_event(
        job.pk,
        from_state=job.state,
        to_state=job.state,
        reason="priority_changed",
        details={"actor": actor, "from": job.priority, "to": priority},
    )
    job.priority = priority


def choose_candidate(job: Job, candidate: Candidate, *, actor: str) -> bool:
    """A person's pick: this candidate is tried next (before the ranked order)."""
    if candidate.job_id != job.pk:
        raise JobActionError(f"candidate {candidate.pk} does not belong to job {job.pk}")
    if candidate.state in (Candidate.State.FAILED, Candidate.State.CHOSEN):
        raise JobActionError(f"candidate {candidate.pk} was already {candidate.state}")
    Candidate.objects.filter(pk=candidate.pk).update(
        rank=0, state=Candidate.State.PENDING, rejection="", failure_reason=""
    )
    job.refresh_from_db()
    if job.state in (JobState.DEAD, JobState.CANCELLED):
        return _requeue_to_downloading(job, actor=actor, candidate=candidate)
    record_event(
        job.pk,
        from_state=job.state,
        to_state=job.state,
        reason="candidate_chosen",
        details={"actor": actor, "candidate_id": candidate.pk},
    )
    return True


def _requeue_to_downloading(job: Job, *, actor: str, candidate: Candidate) -> bool:
    try:
        return transition(
            job,
            to=JobState.DOWNLOADING,
            reason="candidate_chosen",
            claimed=False,
            details={"actor": actor, "candidate_id": candidate.pk},
            live_key=job.wanted_key,
            attempts=0,
            dead_reason="",
            finished_at=None,
            **_transfer_cleared(),
        )
    except IntegrityError:
        raise JobActionError(f"job {job.pk}: another live job already wants this item") from None


def block_candidate(candidate: Candidate, *, reason: str, detail: str = "") -> None:
    """Never download this (user, path, size) again, in any job."""
    CandidateBlock.objects.get_or_create(
        key=file_key(candidate.username, candidate.filename, candidate.size),
        defaults={
            "username": candidate.username,
            "filename": candidate.filename,
            "size": candidate.size,
            "reason": reason,
            "detail": detail[:2000],
            "job_id": candidate.job_id,
        },
    )


def mark_wrong_file(job: Job, *, actor: str) -> bool:
    """ "Wrong file": blocklist the chosen candidate, quarantine the library file, and re-run
    the job from its next candidate."""
    from library import services as library_services

    job.refresh_from_db()
    if job.state != JobState.DONE or job.current_candidate is None:
        raise JobActionError(f"job {job.pk} has no delivered file to reject")
    block_candidate(job.current_candidate, reason="wrong_file", detail=f"marked by {actor}")
    Candidate.objects.filter(pk=job.current_candidate_id).update(
        state=Candidate.State.FAILED, failure_reason="wrong_file"
    )
    if job.library_file is not None:
        library_services.mark_wrong_file(job.library_file, actor=actor)
    return _rerun_from_next(job, actor=actor)


def _rerun_from_next(job: Job, *, actor: str) -> bool:
    try:
        return transition(
            job,
            to=JobState.DOWNLOADING,
            reason="wrong_file",
            claimed=False,
            details={"actor": actor},
            live_key=job.wanted_key,
            finished_at=None,
            track=None,
            library_file=None,
            **_transfer_cleared(),
        )
    except IntegrityError:
        raise JobActionError(f"job {job.pk}: another live job already wants this item") from None


def requeue_dead_jobs(jobs: QuerySet[Job] | Iterable[int], *, actor: str) -> dict[str, int]:
    """Requeue dead jobs (a queryset filter or ids). Idempotent: non-dead ones are skipped."""
    ids = _ids(jobs)
    counts = {"requeued": 0, "skipped": 0, "conflicts": 0}
    for job in Job.objects.filter(pk__in=ids):
        if job.state != JobState.DEAD:
            counts["skipped"] += 1
            continue
        try:
            counts["requeued" if _requeue(job, actor=actor) else "skipped"] += 1
        except JobActionError:
            counts["conflicts"] += 1
    return counts


def purge_dead_jobs(jobs: QuerySet[Job] | Iterable[int], *, actor: str) -> int:
    """Delete dead jobs (their events and candidates go with them); others are left alone."""
    ids = _ids(jobs)
    doomed = Job.objects.filter(pk__in=ids, state=JobState.DEAD)
    count = doomed.count()
    doomed.delete()
    recovery_log.info("hdm.recovery.purged", extra={"count": count, "actor": actor})
    return count


def _ids(jobs: QuerySet[Job] | Iterable[int]) -> list[int]:
    if isinstance(jobs, QuerySet):
        return list(jobs.values_list("pk", flat=True))
    return [int(pk) for pk in jobs]
