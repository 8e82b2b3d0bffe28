"""The HDM's django-q2 schedules, created idempotently after `migrate` and by
`manage.py harmony_schedules`."""

from __future__ import annotations

import logging

from harmony_site.config import knob

logger = logging.getLogger("hdm.schedules")


def schedule_specs() -> dict[str, dict]:
    minutes = knob("HDM_SWEEP_MINUTES")
    return {
        "hdm-sweep": {"func": "downloads.tasks.sweep", "minutes": minutes},
        "hdm-heartbeat": {"func": "downloads.tasks.heartbeat", "minutes": 1},
        # Checks for due watchlists; each one's own interval is WATCHLIST_SYNC_MINUTES.
        "hdm-watchlists": {"func": "downloads.tasks.sync_watchlists", "minutes": 5},
    }


def ensure_schedules() -> list[str]:
    """Create or update each schedule by name; returns the names written."""
    from django_q.models import Schedule

    for name, spec in schedule_specs().items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": spec["func"],
                "schedule_type": Schedule.MINUTES,
                "minutes": spec["minutes"],
                "repeats": -1,
            },
        )
    logger.info("hdm.schedules.ensured", extra={"names": sorted(schedule_specs())})
    return sorted(schedule_specs())
