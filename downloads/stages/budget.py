"""The global search budget every worker shares: N searches per window, a minimum gap, and a
pause when slskd shows a ban or a logout.

The budget is one `SearchBudget` row. A grant reads and writes it inside one transaction that
holds the row lock (`select_for_update` on PostgreSQL; SQLite's IMMEDIATE transactions take
the database write lock at BEGIN), so two processes can never both spend the last search.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from downloads.jobs.conf import knob
from downloads.models import SearchBudget

logger = logging.getLogger("hdm.search")


@dataclass(frozen=True)
class Grant:
    """`granted` True: search now. False: try again at `retry_at` (`reason` says why)."""

    granted: bool
    retry_at: datetime
    reason: str = ""


def _locked_budget() -> SearchBudget:
    SearchBudget.objects.get_or_create(pk=1)
    return SearchBudget.objects.select_for_update().get(pk=1)


def _window_times(budget: SearchBudget, now: datetime) -> list[datetime]:
    start = now - timedelta(seconds=knob("HDM_SEARCH_WINDOW_S"))
    times = (parse_datetime(text) for text in budget.recent)
    return sorted(t for t in times if t is not None and t > start)


def acquire_search(*, now: datetime | None = None) -> Grant:
    """Spend one search from the shared budget, or say when the next one is allowed.

    Called right before each search POST (`spend_search`), so the minimum gap is measured
    between the POSTs slskd receives, retries included, not between grants.
    """
    now = now or timezone.now()
    with transaction.atomic():
        budget = _locked_budget()
        refused = _refusal(budget, now)
        if refused is not None:
            return refused
        recent = _window_times(budget, now)
        recent.append(now)
        budget.recent = [t.isoformat() for t in recent]
        budget.next_allowed_at = now + timedelta(seconds=knob("HDM_SEARCH_MIN_GAP_S"))
        budget.searches_total += 1
        budget.save()
    return Grant(True, now)


def search_allowed(*, now: datetime | None = None) -> Grant:
    """Whether a search could be spent now, spending nothing (a cheap check before a job
    prepares its search)."""
    now = now or timezone.now()
    budget = SearchBudget.objects.filter(pk=1).first() or SearchBudget(pk=1)
    return _refusal(budget, now) or Grant(True, now)


class SearchDeferred(Exception):
    """The budget refused a search POST about to be sent; `grant.retry_at` says when."""

    def __init__(self, grant: Grant) -> None:
        super().__init__(grant.reason)
        self.grant = grant


def spend_search() -> None:
    """The `before_send` hook of a search POST: spend one search or refuse to send it."""
    grant = acquire_search()
    if not grant.granted:
        raise SearchDeferred(grant)


def _refusal(budget: SearchBudget, now: datetime) -> Grant | None:
    if budget.paused_until and budget.paused_until > now:
        return Grant(False, budget.paused_until, f"paused: {budget.pause_reason}")
    if budget.next_allowed_at and budget.next_allowed_at > now:
        return Grant(False, budget.next_allowed_at, "minimum gap")
    recent = _window_times(budget, now)
    limit = effective_budget(budget, now)
    if len(recent) >= limit:
        oldest = recent[-limit]
        return Grant(False, oldest + timedelta(seconds=knob("HDM_SEARCH_WINDOW_S")), "window full")
    return None


def _ban_factor_now(budget: SearchBudget, now: datetime) -> float:
    """The share of the budget allowed now: the last ban's factor, growing back to 1 evenly
    over HDM_SEARCH_BAN_RECOVERY_S from the end of its pause."""
    if budget.ban_factor >= 1.0 or budget.paused_until is None:
        return 1.0
    elapsed = max((now - budget.paused_until).total_seconds(), 0.0)
    regained = (1.0 - budget.ban_factor) * elapsed / knob("HDM_SEARCH_BAN_RECOVERY_S")
    return min(1.0, budget.ban_factor + regained)


def effective_budget(budget: SearchBudget, now: datetime) -> int:
    """Searches allowed per window now: HDM_SEARCH_BUDGET, less what a recent ban took."""
    return max(1, int(knob("HDM_SEARCH_BUDGET") * _ban_factor_now(budget, now)))


def pause_searches(*, seconds: float, reason: str, ban: bool = False) -> datetime:
    """Stop every worker's searching until now + seconds (never shortens a longer pause).

    A `ban` also halves the budget (from what it had grown back to), so searching resumes at
    half the rate and recovers slowly instead of tripping the server's limit again at once.
    """
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    with transaction.atomic():
        budget = _locked_budget()
        if ban and not (budget.paused_until and budget.paused_until > now):
            budget.ban_factor = _ban_factor_now(budget, now) / 2
        if budget.paused_until is None or budget.paused_until < until:
            budget.paused_until = until
            budget.pause_reason = reason[:300]
            budget.save()
        until = budget.paused_until
    logger.warning(
        "hdm.search.paused",
        extra={"until": until.isoformat(), "reason": reason, "ban_factor": budget.ban_factor},
    )
    return until


def resume_searches() -> None:
    """Lift a pause (operator action once the ban is over); a ban's halved budget keeps
    recovering from now."""
    SearchBudget.objects.filter(pk=1).update(paused_until=timezone.now(), pause_reason="")
    logger.info("hdm.search.resumed")


def budget_status(*, now: datetime | None = None) -> dict:
    """Searches used in the window vs the budget, and any pause (dashboard, metrics)."""
    now = now or timezone.now()
    budget = SearchBudget.objects.filter(pk=1).first() or SearchBudget(pk=1)
    paused = budget.paused_until if budget.paused_until and budget.paused_until > now else None
    return {
        "used": len(_window_times(budget, now)),
        "budget": effective_budget(budget, now),
        "window_s": knob("HDM_SEARCH_WINDOW_S"),
        "paused_until": paused.isoformat() if paused else None,
        "pause_reason": budget.pause_reason if paused else "",
        "searches_total": budget.searches_total,
    }
