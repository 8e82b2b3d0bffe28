"""The cluster watchdog: no restart loop after a downtime, a frozen cluster found in a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Task

from downloads.jobs import watchdog

pytestmark = pytest.mark.django_db


def _ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def test_a_cluster_started_after_a_long_downtime_is_not_stalled_and_is_pinged_at_once(hdm):
    hdm["HDM_HEARTBEAT_STALE_S"] = 300.0
    watchdog.beat(at=_ago(3600))  # the last beat before an hour of downtime
    assert watchdog.cluster_stalled()
    watchdog.cluster_started()
    assert not watchdog.cluster_stalled()
    # The first heartbeat goes through the broker now, not after the scheduler's first tick.
    assert OrmQ.objects.count() == 1
    assert OrmQ.objects.get().task["func"] == "downloads.tasks.heartbeat"


def test_a_started_cluster_that_never_beats_is_stalled_after_the_stale_threshold(hdm):
    hdm["HDM_HEARTBEAT_STALE_S"] = 300.0
    watchdog.beat(name=watchdog.STARTED, at=_ago(301))
    assert watchdog.cluster_stalled()


def test_a_ping_left_unrun_past_the_freeze_limit_is_a_frozen_cluster(hdm):
    hdm.update(HDM_CLUSTER_FREEZE_S=30.0, HDM_CLUSTER_GRACE_S=60.0, HDM_HEARTBEAT_STALE_S=300.0)
    watchdog.beat(name=watchdog.STARTED, at=_ago(600))
    watchdog.beat(at=_ago(50))  # fresh enough for the stale test
    watchdog.beat(name=watchdog.PING, at=_ago(20))
    assert not watchdog.cluster_stalled()
    watchdog.beat(name=watchdog.PING, at=_ago(31))
    assert watchdog.cluster_stalled()


def test_a_busy_cluster_whose_ping_waits_behind_other_tasks_is_not_frozen(hdm):
    hdm.update(HDM_CLUSTER_FREEZE_S=30.0, HDM_CLUSTER_GRACE_S=60.0)
    watchdog.beat(at=_ago(50))
    watchdog.beat(name=watchdog.PING, at=_ago(40))
    Task.objects.create(
        id="t1", name="job", func="downloads.tasks.run_job", started=_ago(12), stopped=_ago(10),
        success=True,
    )  # fmt: skip
    assert not watchdog.cluster_stalled()


def test_a_freshly_started_cluster_gets_the_grace_period_for_its_first_ping(hdm):
    hdm.update(HDM_CLUSTER_FREEZE_S=30.0, HDM_CLUSTER_GRACE_S=60.0)
    watchdog.beat(at=_ago(3600))
    watchdog.beat(name=watchdog.STARTED, at=_ago(45))
    watchdog.beat(name=watchdog.PING, at=_ago(45))  # sent at start, still booting
    assert not watchdog.cluster_stalled()
    watchdog.beat(name=watchdog.STARTED, at=_ago(61))
    watchdog.beat(name=watchdog.PING, at=_ago(61))
    assert watchdog.cluster_stalled()


def test_the_watchdog_pings_again_only_once_the_last_ping_was_answered(hdm):
    watchdog.beat(at=_ago(5))
    assert watchdog.watch_cluster() is False
    assert OrmQ.objects.count() == 1
    watchdog.watch_cluster()
    assert OrmQ.objects.count() == 1  # still on its way: no second ping
    watchdog.beat()  # the heartbeat task ran
    watchdog.watch_cluster()
    assert OrmQ.objects.count() == 2
