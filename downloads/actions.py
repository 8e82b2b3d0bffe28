"""Every operator action on jobs, whoever asks (API, UI, admin, CLI): cancel, retry, requeue,
choose a candidate, wrong file, priority, and the dead-letter queue's bulk requeue and purge.

Single-job actions write through `downloads.jobs.state.transition` without a claim (an
operator may act on any job) and record who acted in the job's timeline. DLQ bulk operations
write one `DeadLetterAction` row each (who, from where, what was asked, what happened) — kept
apart from the jobs because a purge deletes the jobs and their timelines.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from downloads.jobs.state import record_event, transition
from downloads.models import (
    LIVE_STATES,
    TERMINAL_STATES,
    Candidate,
    CandidateBlock,
    DeadLetterAction,
    Job,
    JobState,
)
from downloads.stages.download import block_candidate, cancel_transfer, transfer_cleared

logger = logging.getLogger("hdm.recovery")

RETRYABLE_STATES = (JobState.FAILED, JobState.DEAD, JobState.CANCELLED)
MAX_BULK_RETRY = 500  # one page of the wanted list at most; more would hold a request too long


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


def retry_jobs(job_ids: Sequence[int], *, actor: str) -> dict[str, int]:
    """Retry each picked job that can be retried (the wanted page's bulk action); counts of
    `retried` and `skipped` (still running, or another live job wants the same track)."""
    counts = {"retried": 0, "skipped": 0}
    for job in Job.objects.filter(pk__in=list(job_ids)[:MAX_BULK_RETRY]):
        try:
            retried = job.state in RETRYABLE_STATES and retry_job(job, actor=actor)
        except JobActionError:
            retried = False
        counts["retried" if retried else "skipped"] += 1
    return counts


def _requeue(job: Job, *, actor: str) -> bool:
    """Back to `queued` with fresh budgets; the live reservation is taken again.

    A job that died while a candidate's enqueue was unanswered or unrecorded goes back to
    `downloading` with that candidate instead: the stage looks its transfer up in slskd and
    adopts it, so a download slskd kept running is not fetched twice or left unattended.
    """
    orphan = _abandoned_candidate(job)
    moved = _reopen(
        job,
        to=JobState.QUEUED if orphan is None else JobState.DOWNLOADING,
        reason="requeued",
        details={"actor": actor, "previous_reason": job.dead_reason},
        holding=orphan,
        attempts=0,
        lost_runs=0,
        query_index=0,
        search_rounds=0,
        dead_reason="",
        current_search=None,
    )
    if moved:
        logger.info("hdm.recovery.requeued", extra={"job_id": job.pk, "actor": actor})
    return moved


def _reopen(
    job: Job,
    *,
    to: str,
    reason: str,
    details: dict[str, Any],
    holding: Candidate | None = None,
    **fields: Any,
) -> bool:
    """Move a job back into the pipeline: it takes the live reservation again and forgets its
    transfer (holding `holding` as its `trying` candidate, if given); another live job holding
    the reservation is a JobActionError."""
    try:
        with transaction.atomic():
            if holding is not None:
                Candidate.objects.filter(pk=holding.pk).update(state=Candidate.State.TRYING)
            return transition(
                job,
                to=to,
                reason=reason,
                claimed=False,
                details=details,
                live_key=job.wanted_key,
                finished_at=None,
                current_candidate=holding,
                download_path="",
                **transfer_cleared(),
                **fields,
            )
    except IntegrityError:
        raise JobActionError(f"job {job.pk}: another live job already wants this item") from None


def _abandoned_candidate(job: Job) -> Candidate | None:
    """The candidate whose enqueue may have taken effect in slskd without Harmony watching it:
    still `trying` (a run died before recording the transfer), or failed on an enqueue error."""
    tried = job.candidates.filter(
        Q(state=Candidate.State.TRYING)
        | Q(state=Candidate.State.FAILED, failure_reason="enqueue_failed")
    )
    return tried.order_by("-state", "rank", "id").first()  # "trying" sorts first


def set_priority(job: Job, *, priority: int, actor: str) -> None:
    Job.objects.filter(pk=job.pk).update(priority=priority, updated_at=timezone.now())
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
    # A finished job downloads the pick now; a better copy then replaces the library's file.
    if job.state in TERMINAL_STATES:
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
    return _reopen(
        job,
        to=JobState.DOWNLOADING,
        reason="candidate_chosen",
        details={"actor": actor, "candidate_id": candidate.pk},
        attempts=0,
        dead_reason="",
    )


def mark_wrong_file(job: Job, *, actor: str) -> bool:
    """ "Wrong file": blocklist the chosen candidate, quarantine the library file, and re-run
    the job from its next candidate."""
    from library import services as library_services

    job.refresh_from_db()
    candidate = job.current_candidate
    if job.state != JobState.DONE or candidate is None:
        raise JobActionError(f"job {job.pk} has no delivered file to reject")
    block_candidate(candidate, reason="wrong_file", detail=f"marked by {actor}")
    Candidate.objects.filter(pk=candidate.pk).update(
        state=Candidate.State.FAILED, failure_reason="wrong_file"
    )
    if job.library_file is not None:
        library_services.mark_wrong_file(job.library_file, actor=actor)
    return _rerun_from_next(job, actor=actor)


def unblock_file(block: CandidateBlock, *, actor: str) -> None:
    """Lift a block: the file may be ranked again by the next search of any job."""
    deleted, _ = CandidateBlock.objects.filter(pk=block.pk).delete()
    if not deleted:
        return  # someone else lifted it first
    details = {"actor": actor, "username": block.username, "filename": block.filename}
    if block.job_id is not None:
        record_event(block.job_id, from_state="", to_state="", reason="unblocked", details=details)
    logger.info("hdm.blocklist.removed", extra={"block_id": block.pk, **details})


def _rerun_from_next(job: Job, *, actor: str) -> bool:
    return _reopen(
        job,
        to=JobState.DOWNLOADING,
        reason="wrong_file",
        details={"actor": actor},
        track=None,
        library_file=None,
    )


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
    logger.info("hdm.recovery.purged", extra={"count": count, "actor": actor})
    return count


def _ids(jobs: QuerySet[Job] | Iterable[int]) -> list[int]:
    if isinstance(jobs, QuerySet):
        return list(jobs.values_list("pk", flat=True))
    return [int(pk) for pk in jobs]


# --- Dead-letter queue ---------------------------------------------------------------------

REQUEUE_LIMIT = 500
PURGE_LIMIT = 1000


class DlqRequestError(ValueError):
    """A DLQ request that cannot be carried out as asked (too many ids, no criteria)."""


@dataclass(frozen=True)
class DeadFilter:
    """Which dead jobs an operation applies to; empty fields do not narrow."""

    ids: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    dead_after: datetime | None = None
    dead_before: datetime | None = None
    search: str = ""

    def is_empty(self) -> bool:
        return not (self.ids or self.reasons or self.kinds or self.search) and not (
            self.dead_after or self.dead_before
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, for the audit row."""
        values = {
            "ids": list(self.ids),
            "reasons": list(self.reasons),
            "kinds": list(self.kinds),
            "dead_after": self.dead_after.isoformat() if self.dead_after else None,
            "dead_before": self.dead_before.isoformat() if self.dead_before else None,
            "search": self.search,
        }
        return {key: value for key, value in values.items() if value}


@dataclass
class DlqResult:
    """What a requeue or purge did; `remaining` counts matches left over by the limit."""

    action: str
    matched: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    job_ids: list[int] = field(default_factory=list)
    remaining: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "matched": self.matched,
            **self.counts,
            "remaining": self.remaining,
            "job_ids": self.job_ids,
        }


def dead_jobs(criteria: DeadFilter | None = None) -> QuerySet[Job]:
    """Dead jobs matching `criteria`, most recently dead first."""
    jobs = Job.objects.filter(state=JobState.DEAD)
    criteria = criteria or DeadFilter()
    if criteria.ids:
        jobs = jobs.filter(pk__in=criteria.ids)
    if criteria.reasons:
        jobs = jobs.filter(dead_reason__in=criteria.reasons)
    if criteria.kinds:
        jobs = jobs.filter(kind__in=criteria.kinds)
    if criteria.dead_after:
        jobs = jobs.filter(finished_at__gte=criteria.dead_after)
    if criteria.dead_before:
        jobs = jobs.filter(finished_at__lt=criteria.dead_before)
    if criteria.search:
        text = criteria.search
        jobs = jobs.filter(
            Q(label__icontains=text)
            | Q(wanted_key__icontains=text)
            | Q(last_error_detail__icontains=text)
        )
    return jobs.order_by("-finished_at", "-id")


def dlq_stats() -> dict[str, Any]:
    """Dead jobs in total and by reason code (every known reason listed, zeros included)."""
    from downloads.models import DeadReason

    rows = Job.objects.filter(state=JobState.DEAD).values("dead_reason").annotate(n=Count("id"))
    by_reason = dict.fromkeys(DeadReason.values, 0)
    for row in rows:
        by_reason[row["dead_reason"] or "unknown"] = row["n"]
    oldest = Job.objects.filter(state=JobState.DEAD).order_by("finished_at").first()
    return {
        "total": sum(by_reason.values()),
        "by_reason": by_reason,
        "oldest_dead_at": oldest.finished_at if oldest else None,
    }


def older_than(delta: timedelta, *, now: datetime | None = None) -> datetime:
    """The cut-off for "dead longer than `delta`"."""
    return (now or timezone.now()) - delta


def _select(criteria: DeadFilter, *, limit: int, what: str) -> tuple[list[int], int]:
    """The ids to act on (oldest dead first) and how many matches the limit leaves over."""
    if criteria.is_empty():
        raise DlqRequestError(f"{what} needs ids or a filter; refusing to act on everything")
    if len(criteria.ids) > limit:
        raise DlqRequestError(f"{what} takes at most {limit} ids at once, got {len(criteria.ids)}")
    matches = dead_jobs(criteria).order_by("finished_at", "id")
    ids = list(matches.values_list("pk", flat=True)[: limit + 1])
    if len(ids) <= limit:
        return ids, 0
    return ids[:limit], matches.count() - limit


def requeue_dead(criteria: DeadFilter, *, actor: str, via: str) -> DlqResult:
    """Requeue up to `REQUEUE_LIMIT` dead jobs. Idempotent: a job no longer dead is skipped."""
    ids, remaining = _select(criteria, limit=REQUEUE_LIMIT, what="requeue")
    # Ids asked for but not dead any more (already requeued) count as skipped, not as errors.
    skipped = len(set(criteria.ids) - set(ids))
    counts = requeue_dead_jobs(ids, actor=actor)
    counts["skipped"] = counts.get("skipped", 0) + skipped
    result = DlqResult("requeue", len(ids), counts, ids, remaining)
    _audit(result, criteria, actor=actor, via=via)
    return result


def purge_dead(criteria: DeadFilter, *, actor: str, via: str) -> DlqResult:
    """Delete up to `PURGE_LIMIT` dead jobs with their timelines and candidates."""
    ids, remaining = _select(criteria, limit=PURGE_LIMIT, what="purge")
    with transaction.atomic():
        purged = purge_dead_jobs(ids, actor=actor)
        result = DlqResult("purge", len(ids), {"purged": purged}, ids, remaining)
        _audit(result, criteria, actor=actor, via=via)
    return result


def _audit(result: DlqResult, criteria: DeadFilter, *, actor: str, via: str) -> None:
    DeadLetterAction.objects.create(
        action=result.action,
        actor=actor,
        via=via,
        criteria=criteria.as_dict(),
        job_ids=result.job_ids,
        counts={**result.counts, "remaining": result.remaining},
    )
    logger.info(
        f"hdm.recovery.dlq_{result.action}",
        extra={"actor": actor, "via": via, "matched": result.matched, **result.counts},
    )


def ids_filter(ids: Sequence[int]) -> DeadFilter:
    return DeadFilter(ids=tuple(int(pk) for pk in ids))
