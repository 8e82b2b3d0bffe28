"""django-q2 entry points. Thin: load ids, call the job engine (`downloads.jobs`) or a service.

Task names (what `Schedule.func` and `async_task` refer to):
`downloads.tasks.run_job`, `downloads.tasks.sweep`, `downloads.tasks.dispatch`,
`downloads.tasks.heartbeat`, `downloads.tasks.sync_watchlists`, `downloads.tasks.sync_watchlist`.
"""

from __future__ import annotations

from downloads import watchlists
from downloads.jobs import dispatch as job_dispatch
from downloads.jobs import runner, sweeper, watchdog


def run_job(job_id: int) -> None:
    """Run one step of one job (claimed, so a redelivery does nothing)."""
    runner.run_job(int(job_id))


def sweep() -> dict[str, int]:
    """Periodic: resume due retries, expired leases and lost enqueues; finish parents."""
    report = sweeper.sweep_jobs()
    return {name: len(ids) for name, ids in vars(report).items()}


def dispatch() -> int:
    """The `hdm-dispatch` schedule: send the jobs whose wait is over; re-arms itself."""
    return len(job_dispatch.dispatch_due())


def heartbeat() -> None:
    """Periodic: prove the cluster runs scheduled tasks (read by `watchdog.cluster_stalled`)."""
    watchdog.beat()


def sync_watchlists() -> list[int]:
    """Periodic: sync every watchlist whose interval has passed (ids synced)."""
    return watchlists.sync_due_watchlists()


def sync_watchlist(watchlist_id: int, actor: str = "system") -> int:
    """On demand ("sync now"): sync one watchlist; returns the WatchlistSync id."""
    return watchlists.sync_watchlist(int(watchlist_id), trigger="manual", actor=actor).pk
