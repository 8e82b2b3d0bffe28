"""Dead-letter queue operations: find, requeue and purge dead jobs, with an audit trail.

The API (`/api/v1/dlq`), the admin console (`downloads/admin.py`) and the CLI
(`manage.py harmony_dlq`) all call these functions, which call HDM-core's
`requeue_dead_jobs` / `purge_dead_jobs`. Every call writes one `DeadLetterAction` row (who,
from where, what was asked, what happened) — kept apart from the jobs because a purge deletes
the jobs and their timelines.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from downloads import services
from downloads.models import DeadLetterAction, Job, JobState

logger = logging.getLogger("hdm.recovery")

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
    counts = services.requeue_dead_jobs(ids, actor=actor)
    counts["skipped"] = counts.get("skipped", 0) + skipped
    result = DlqResult("requeue", len(ids), counts, ids, remaining)
    _audit(result, criteria, actor=actor, via=via)
    return result


def purge_dead(criteria: DeadFilter, *, actor: str, via: str) -> DlqResult:
    """Delete up to `PURGE_LIMIT` dead jobs with their timelines and candidates."""
    ids, remaining = _select(criteria, limit=PURGE_LIMIT, what="purge")
    with transaction.atomic():
        purged = services.purge_dead_jobs(ids, actor=actor)
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
