"""The integrations' one django-q2 schedule, created idempotently after `migrate`."""

from __future__ import annotations

import logging

logger = logging.getLogger("hdm.integrations")

SCHEDULE = "hdm-integrations"


def ensure_schedule() -> None:
    """Every minute: flush settled events, send due deliveries, check health, sync Lidarr."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=SCHEDULE,
        defaults={
            "func": "harmony_site.integrations.tasks.tick",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
