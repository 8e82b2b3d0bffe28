"""Handing jobs to the task cluster: now (`enqueue_job`) or at a later time (`arm_dispatcher`).

The one place the HDM calls django-q2's `async_task` for a job run; the `hdm-dispatch` schedule
row is armed here too. Nothing here reads or writes a job's state.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.db import transaction

_sync = threading.local()


def enqueue_job(job_id: int) -> None:
    """Run the job's current stage as a django-q2 task once the surrounding transaction commits."""
    held = getattr(_held, "sends", None)
    if held is not None and held.job_id == job_id:
        transaction.on_commit(lambda: held.append(job_id))
        return
    transaction.on_commit(lambda: _dispatch(job_id))


_held = threading.local()


class _Sends(list):
    def __init__(self, job_id: int) -> None:
        super().__init__()
        self.job_id = job_id


@contextmanager
def held_sends(job_id: int) -> Iterator[list[int]]:
    """Collect instead of enqueue the committed sends of `job_id` made inside the block: the
    runner goes on with the job's next stage in the same task (`runner.run_job`)."""
    _held.sends = sends = _Sends(job_id)
    try:
        yield sends
    finally:
        _held.sends = None


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


DISPATCH_SCHEDULE = "hdm-dispatch"


def arm_dispatcher(until: datetime) -> None:
    """Make the `hdm-dispatch` schedule run no later than `until`.

    One django-q2 `ONCE` schedule row, moved earlier when needed: its task
    (`downloads.tasks.dispatch`) sends every due job and re-arms for the next wait. django-q2's
    scheduler looks about every 30 s, so this bounds how late a wait ends while the cluster is
    idle; while tasks run, each finished task sends due jobs itself (`dispatch.dispatch_due`).
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
