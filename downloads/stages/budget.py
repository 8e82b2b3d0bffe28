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

from downloads.models import SearchBudget
from harmony_site.config import knob

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
    """Spend one search from the shared budget, or say when the next one is allowed."""
    now = now or timezone.now()
    with transaction.atomic():
        budget = _locked_budget()
        if budget.paused_until and budget.paused_until > now:
            return Grant(False, budget.paused_until, f"paused: {budget.pause_reason}")
        recent = _window_times(budget, now)
        if budget.next_allowed_at and budget.next_allowed_at > now:
            return Grant(False, budget.next_allowed_at, "minimum gap")
        if len(recent) >= knob("HDM_SEARCH_BUDGET"):
            oldest = recent[-knob("HDM_SEARCH_BUDGET")]
            retry_at = oldest + timedelta(seconds=knob("HDM_SEARCH_WINDOW_S"))
            return Grant(False, retry_at, "window full")
        recent.append(now)
        budget.recent = [t.isoformat() for t in recent]
        budget.next_allowed_at = now + timedelta(seconds=knob("HDM_SEARCH_MIN_GAP_S"))
        budget.searches_total += 1
        budget.save()
    return Grant(True, now)


def pause_searches(*, seconds: float, reason: str) -> datetime:
    """Stop every worker's searching until now + seconds (never shortens a longer pause)."""
    until = timezone.now() + timedelta(seconds=seconds)
    with transaction.atomic():
        budget = _locked_budget()
        if budget.paused_until is None or budget.paused_until < until:
            budget.paused_until = until
            budget.pause_reason = reason[:300]
            budget.save()
        until = budget.paused_until
    logger.warning("hdm.search.paused", extra={"until": until.isoformat(), "reason": reason})
    return until


def resume_searches() -> None:
    """Lift a pause (operator action once the ban is over)."""
    SearchBudget.objects.filter(pk=1).update(paused_until=None, pause_reason="")
    logger.info("hdm.search.resumed")


def budget_status(*, now: datetime | None = None) -> dict:
    """Searches used in the window vs the budget, and any pause (dashboard, metrics)."""
    now = now or timezone.now()
    budget = SearchBudget.objects.filter(pk=1).first() or SearchBudget(pk=1)
    paused = budget.paused_until if budget.paused_until and budget.paused_until > now else None
    return {
        "used": len(_window_times(budget, now)),
        "budget": knob("HDM_SEARCH_BUDGET"),
        "window_s": knob("HDM_SEARCH_WINDOW_S"),
        "paused_until": paused.isoformat() if paused else None,
        "pause_reason": budget.pause_reason if paused else "",
        "searches_total": budget.searches_total,
    }
