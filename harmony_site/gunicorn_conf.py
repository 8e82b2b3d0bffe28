"""gunicorn settings for `harmony_serve` (binds, workers and timeouts come on its command line)."""

import os
from pathlib import Path
from typing import Any

from harmony_site.config import get_config
from harmony_site.logs import logging_config

# JSON lines like every other Harmony process; request lines come from RequestIdMiddleware.
logconfig_dict = logging_config(get_config()["LOG_LEVEL"])
accesslog = None
# The worker heartbeat file belongs in memory: a slow or full disk must not kill workers.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"


def child_exit(server: Any, worker: Any) -> None:
    """Let the Prometheus multiprocess collector drop a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_fork(server: Any, worker: Any) -> None:
    """Each new worker reads harmony.yml itself: the master's cached copy (read above) would
    otherwise outlive "Apply now", whose reload (SIGHUP) forks fresh workers from the master."""
    get_config.cache_clear()
