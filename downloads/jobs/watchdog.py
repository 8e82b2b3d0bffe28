"""Is the task cluster alive? A heartbeat schedule writes a row; an old row means stalled.

django-q2 can stall after a worker dies (its issue #23), so readiness and `harmony_serve`
ask `cluster_stalled()` and restart the cluster when it says so.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from downloads.models import Heartbeat
from harmony_site.config import knob

logger = logging.getLogger("hdm.watchdog")

CLUSTER = "cluster"


def beat(*, name: str = CLUSTER) -> None:
    """Record that the cluster ran a scheduled task just now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


def last_beat(*, name: str = CLUSTER):
    row = Heartbeat.objects.filter(name=name).first()
    return row.beat_at if row else None


def cluster_stalled() -> bool:
    """True when the heartbeat is older than HDM_HEARTBEAT_STALE_S while work is waiting (or
    when it is old at all once it has ever beaten)."""
    stale_before = timezone.now() - timedelta(seconds=knob("HDM_HEARTBEAT_STALE_S"))
    beat_at = last_beat()
    if beat_at is not None:
        return beat_at < stale_before
    return _tasks_waiting_since(stale_before)


def _tasks_waiting_since(when) -> bool:
    """Never beaten: stalled only if queued tasks have waited longer than the threshold
    (visible with the ORM broker only; with Redis an absent beat is not yet a stall)."""
    from django.conf import settings
    from django_q.models import OrmQ

    if "orm" not in settings.Q_CLUSTER:
        return False

    # The ORM broker stamps `lock` with the enqueue time (and a dequeue pushes it into the
    # future), so a lock older than `when` is a task nobody has taken since then.
    return OrmQ.objects.filter(lock__lt=when).exists() and not _recent_task(when)


def _recent_task(when) -> bool:
    from django_q.models import Task

    return Task.objects.filter(stopped__gte=when).exists()
