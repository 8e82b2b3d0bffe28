"""Is the task cluster alive? Heartbeat rows say when it last ran a task of ours.

Two ways a cluster dies quietly, each with its own test:

- **Stalled**: no heartbeat for `HDM_HEARTBEAT_STALE_S` (the scheduler stopped). The clock
  starts at the later of the last beat and the last cluster start, so a cluster started after
  a long downtime is not judged by the beat its predecessor left behind.
- **Frozen**: a SIGKILLed worker can leave django-q2's internal queue locked (its issue #23),
  and then nothing runs at all. `harmony_serve` pings the cluster (a `heartbeat` task sent
  through the broker) on every watchdog round; a ping left unrun for `HDM_CLUSTER_FREEZE_S`
  while no other task finished either is a freeze. A freshly started cluster has
  `HDM_CLUSTER_GRACE_S` to run its first ping, which is sent the moment it starts.

Readiness (`cluster` probe) and `harmony_serve` both ask `cluster_stalled()`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from downloads.jobs.conf import knob
from downloads.models import Heartbeat

logger = logging.getLogger("hdm.watchdog")

CLUSTER = "cluster"  # the last heartbeat task that ran
STARTED = "cluster-started"  # the last time harmony_serve started a cluster
PING = "cluster-ping"  # the last heartbeat task harmony_serve sent


def beat(*, name: str = CLUSTER, at: datetime | None = None) -> None:
    """Record that the cluster ran a heartbeat just now (or mark `name` at `at`)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": at or timezone.now()})


def last_beat(*, name: str = CLUSTER) -> datetime | None:
    row = Heartbeat.objects.filter(name=name).first()
    return row.beat_at if row else None


def cluster_started() -> None:
    """harmony_serve just started a cluster: restart the stale clock and ping it at once, so
    its first heartbeat does not wait for the scheduler (about 30 s)."""
    beat(name=STARTED)
    send_ping()
    logger.info("hdm.watchdog.cluster_started")


def send_ping() -> None:
    """Send one heartbeat task through the broker; its run answers the ping."""
    from django_q.tasks import async_task

    sent_at = timezone.now()  # before the enqueue: a ping that runs at once still answers it
    async_task("downloads.tasks.heartbeat", task_name="hdm-ping")
    beat(name=PING, at=sent_at)


def watch_cluster() -> bool:
    """harmony_serve's watchdog round: True when the cluster must restart, else ping it again
    (unless the last ping is still on its way)."""
    if cluster_stalled():
        return True
    if not _ping_outstanding(last_beat(), last_beat(name=PING)):
        send_ping()
    return False


def cluster_stalled() -> bool:
    """True when the cluster is stalled or frozen (see the module docstring)."""
    now = timezone.now()
    beat_at, started, ping = last_beat(), last_beat(name=STARTED), last_beat(name=PING)
    if _frozen(now, beat_at=beat_at, started=started, ping=ping):
        return True
    stale_before = now - timedelta(seconds=knob("HDM_HEARTBEAT_STALE_S"))
    latest = max((t for t in (beat_at, started) if t is not None), default=None)
    if latest is not None:
        return latest < stale_before
    return _tasks_waiting_since(stale_before)


def _ping_outstanding(beat_at: datetime | None, ping: datetime | None) -> bool:
    return ping is not None and (beat_at is None or beat_at < ping)


def _frozen(
    now: datetime, *, beat_at: datetime | None, started: datetime | None, ping: datetime | None
) -> bool:
    if not _ping_outstanding(beat_at, ping):
        return False
    assert ping is not None
    due = ping + timedelta(seconds=knob("HDM_CLUSTER_FREEZE_S"))
    if started is not None:
        # A cluster still starting up (a slow host, a cold cache) is not frozen yet.
        due = max(due, started + timedelta(seconds=knob("HDM_CLUSTER_GRACE_S")))
    return now > due and not _recent_task(ping)


def _tasks_waiting_since(when: datetime) -> bool:
    """Never beaten: stalled only if queued tasks have waited longer than the threshold
    (visible with the ORM broker only; with Redis an absent beat is not yet a stall)."""
    from django.conf import settings
    from django_q.models import OrmQ

    if "orm" not in settings.Q_CLUSTER:
        return False

    # The ORM broker stamps `lock` with the enqueue time (and a dequeue pushes it into the
    # future), so a lock older than `when` is a task nobody has taken since then.
    return OrmQ.objects.filter(lock__lt=when).exists() and not _recent_task(when)


def _recent_task(when: datetime) -> bool:
    """Did a worker finish anything since `when`? Successful tasks are not stored
    (`save_limit` -1), so a job a task moved on counts as well as a stored failure."""
    from django_q.models import Task

    from downloads.models import Job

    return (
        Job.objects.filter(updated_at__gte=when).exists()
        or Task.objects.filter(stopped__gte=when).exists()
    )
