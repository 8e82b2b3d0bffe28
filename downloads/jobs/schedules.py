"""The HDM's django-q2 schedules, created idempotently after `migrate` and by
`manage.py harmony_schedules`."""

from __future__ import annotations

import logging

from harmony_site.config import knob

logger = logging.getLogger("hdm.schedules")
OPTIONAL = ("library-import",)  # removed again when their knob turns them off


def schedule_specs() -> dict[str, dict]:
    minutes = knob("HDM_SWEEP_MINUTES")
    specs = {
        "hdm-sweep": {"func": "downloads.tasks.sweep", "minutes": minutes},
        "hdm-heartbeat": {"func": "downloads.tasks.heartbeat", "minutes": 1},
        # Checks for due watchlists; each one's own interval is WATCHLIST_SYNC_MINUTES.
        "hdm-watchlists": {"func": "downloads.tasks.sync_watchlists", "minutes": 5},
    }
    # The library's import folder is looked at on the same cluster (0 minutes: off).
    import_minutes = knob("IMPORT_INTERVAL_MINUTES")
    if import_minutes:
        specs["library-import"] = {"func": "library.tasks.import_folder", "minutes": import_minutes}
    return specs


def ensure_schedules() -> list[str]:
    """Create or update each schedule by name; returns the names written."""
    from django_q.models import Schedule

    Schedule.objects.filter(name__in=OPTIONAL).exclude(name__in=schedule_specs()).delete()
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
