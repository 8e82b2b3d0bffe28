"""`manage.py harmony_serve`: one command that runs all of Harmony (docs/health.md).

Start-up: create DOWNLOADS_DIR and MUSIC_DIR, apply migrations under a lock
(`MIGRATE_ON_START`), start gunicorn, wait until it answers and the core probes pass
(`SERVE_READY_TIMEOUT_S`), then start the django-q2 cluster. Both children run in their own
process groups so a stop also reaps their workers.

Supervision: SIGTERM or SIGINT is forwarded as SIGTERM to both children; whatever has not
exited after `STOP_TIMEOUT_S` is killed, and the command exits 0. A child that dies on its
own stops the other and the command exits 1, so a container restart policy takes over.

Watchdog: the HDM registers `register_cluster_watchdog(fn)`; every
`SERVE_WATCHDOG_INTERVAL_S` each function is called in this process and one returning True
(the cluster is stalled) makes harmony_serve restart the cluster process.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from harmony_site import probes
from harmony_site.configuration import RELOAD_FLAG
from harmony_site.health import STARTED_AT_ENV

logger = logging.getLogger("hdm.serve")

STOP_TIMEOUT_S = 8.0  # inside Docker's default 10 s grace period
POLL_S = 0.2
STALE_TEMP_AGE_S = 3600.0
ClusterWatchdog = Callable[[], bool]
_WATCHDOGS: list[ClusterWatchdog] = []


def register_cluster_watchdog(fn: ClusterWatchdog) -> ClusterWatchdog:
    """Decorator: `fn()` returns True when the task cluster is stalled and must restart."""
    if fn not in _WATCHDOGS:
        _WATCHDOGS.append(fn)
    return fn


def cluster_is_stalled() -> bool:
    """Ask every registered watchdog; one that raises is logged and counts as not stalled."""
    stalled = False
    for watchdog in list(_WATCHDOGS):
        try:
            stalled = bool(watchdog()) or stalled
        except Exception as exc:
            logger.warning(
                "hdm.serve.watchdog_failed",
                extra={
                    "watchdog": getattr(watchdog, "__name__", repr(watchdog)),
                    "error": str(exc),
                },
            )
    connections.close_all()  # this long-lived process must not sit on database connections
    return stalled


def ensure_data_dirs() -> None:
    """Create DOWNLOADS_DIR and MUSIC_DIR (and parents) when missing; clear stale temporaries."""
    from library.moving import cleanup_temporaries

    for name in ("DOWNLOADS_DIR", "MUSIC_DIR"):
        path = Path(getattr(settings, name))
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            logger.info("hdm.serve.dir_created", extra={"knob": name, "path": str(path)})
        # Leftovers of moves a crash interrupted; an hour spares another host's move in flight.
        cleanup_temporaries(path, min_age_s=STALE_TEMP_AGE_S)


def migrate_under_lock() -> None:
    """Apply pending migrations; the file lock keeps two starting instances from racing."""
    with open(settings.CONFIG_DIR / ".migrate.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            call_command("migrate", interactive=False, verbosity=0)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    connections.close_all()
    logger.info("hdm.serve.migrated")


class Child:
    """One supervised subprocess, leader of its own process group."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=settings.BASE_DIR, start_new_session=True
        )
        logger.info("hdm.serve.child_started", extra={"child": self.name, "pid": self.process.pid})

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)  # type: ignore[union-attr]

    def kill_group(self) -> None:
        """SIGKILL whatever is left of the group (the leader's workers included)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def stop_children(children: list[Child], *, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM, wait up to `timeout`, then SIGKILL each remaining process group."""
    for child in children:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(child.running() for child in children) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    for child in children:
        if child.running():
            logger.warning("hdm.serve.child_killed", extra={"child": child.name})
        child.kill_group()


def gunicorn_argv(config: Any) -> list[str]:
    argv = [sys.executable, "-m", "gunicorn", "harmony_site.wsgi:application"]
    argv += ["--config", "python:harmony_site.gunicorn_conf", "--bind", config["HTTP_BIND"]]
    if config["OAUTH_CALLBACK_BIND"]:
        argv += ["--bind", config["OAUTH_CALLBACK_BIND"]]
    argv += ["--workers", str(config["WEB_WORKERS"]), "--timeout", str(config["WEB_TIMEOUT"])]
    # Threaded workers: a slow client holds one thread, not a whole worker, and keep-alive is
    # honoured. More than 2 threads mostly add GIL contention (docs/api.md); 1 = sync workers.
    threads = config["WEB_THREADS"]
    argv += ["--worker-class", "gthread" if threads > 1 else "sync", "--threads", str(threads)]
    # Workers must finish their requests inside our own stop deadline.
    argv += ["--graceful-timeout", str(int(STOP_TIMEOUT_S) - 2), "--no-control-socket"]
    return argv


def cluster_argv() -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"]


def dispatcher_argv() -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), "harmony_dispatcher"]


def loopback_target(bind: str) -> tuple[str, int] | None:
    """Where this host reaches a gunicorn bind (`0.0.0.0:8080` -> 127.0.0.1:8080)."""
    if bind.startswith(("unix:", "fd://")):
        return None
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return host, int(port)


def answers_live(bind: str) -> bool:
    target = loopback_target(bind)
    if target is None:
        return True
    conn = http.client.HTTPConnection(*target, timeout=2)
    try:
        conn.request("GET", "/api/health/live")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def core_failures() -> list[probes.ProbeReport]:
    try:
        return probes.failing(probes.run_probes(core_only=True))
    finally:
        connections.close_all()


class Supervisor:
    """Runs gunicorn and the cluster until a stop signal or an unexpected death."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.stop_requested = threading.Event()
        self.metrics_dir: str | None = None
        env = self._child_env()
        self.web = Child("gunicorn", gunicorn_argv(config), env)
        self.cluster = Child("qcluster", cluster_argv(), env)
        # Ends the HDM's short waits on time; the cluster's scheduler only looks every ~30 s.
        self.dispatcher = Child("dispatcher", dispatcher_argv(), env)

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[STARTED_AT_ENV] = str(time.time())
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            # Every worker and cluster process writes its metrics here; /api/v1/metrics sums them.
            self.metrics_dir = tempfile.mkdtemp(prefix="harmony-metrics-")
            env["PROMETHEUS_MULTIPROC_DIR"] = self.metrics_dir
        return env

    def _on_signal(self, signum: int, _frame: Any) -> None:
        logger.info("hdm.serve.stop_requested", extra={"signal": signal.Signals(signum).name})
        self.stop_requested.set()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def run(self) -> int:
        if self.stop_requested.is_set():
            return 0
        try:
            return self._run()
        finally:
            stop_children([self.dispatcher, self.cluster, self.web])
            if self.metrics_dir:
                shutil.rmtree(self.metrics_dir, ignore_errors=True)
            logger.info("hdm.serve.stopped")

    def _run(self) -> int:
        self.web.start()
        if not self._wait_until_ready():
            return 0 if self.stop_requested.is_set() else 1
        self.cluster.start()
        self.dispatcher.start()
        logger.info("hdm.serve.ready", extra={"bind": self.config["HTTP_BIND"]})
        return self._supervise()

    def _wait_until_ready(self) -> bool:
        deadline = time.monotonic() + self.config["SERVE_READY_TIMEOUT_S"]
        failures: list[probes.ProbeReport] = []
        while not self.stop_requested.is_set():
            if not self.web.running():
                self._log_death(self.web)
                return False
            if answers_live(self.config["HTTP_BIND"]):
                failures = core_failures()
                if not failures:
                    return True
            if time.monotonic() >= deadline:
                logger.error(
                    "hdm.serve.not_ready",
                    extra={"failing": {r.name: r.detail for r in failures} or "web not answering"},
                )
                return False
            self.stop_requested.wait(0.5)
        return False

    def _supervise(self) -> int:
        interval = self.config["SERVE_WATCHDOG_INTERVAL_S"]
        next_watch = time.monotonic() + interval
        while not self.stop_requested.wait(POLL_S):
            for child in (self.web, self.cluster, self.dispatcher):
                if not child.running():
                    self._log_death(child)
                    return 1
            if self._reload_requested():
                self._reload()
            if time.monotonic() >= next_watch:
                next_watch = time.monotonic() + interval
                if cluster_is_stalled():
                    self._restart_cluster()
        return 0

    def _reload_requested(self) -> bool:
        """The Settings page's "Apply now" left its flag (harmony_site.configuration)."""
        flag = Path(settings.CONFIG_DIR) / RELOAD_FLAG
        try:
            flag.unlink()
        except FileNotFoundError:
            return False
        return True

    def _reload(self) -> None:
        """Apply harmony.yml: gunicorn starts new workers (which read it) before the old ones
        finish their requests; the cluster and the dispatcher restart. The binds stay."""
        logger.warning("hdm.serve.reloading")
        self.web.signal(signal.SIGHUP)
        stop_children([self.dispatcher, self.cluster])
        self.cluster.start()
        self.dispatcher.start()

    def _restart_cluster(self) -> None:
        logger.warning("hdm.serve.cluster_restart", extra={"reason": "stalled"})
        stop_children([self.cluster])
        self.cluster.start()

    def _log_death(self, child: Child) -> None:
        logger.error(
            "hdm.serve.child_died", extra={"child": child.name, "exit_code": child.exit_code()}
        )


def serve(config: Any) -> int:
    """The body of `manage.py harmony_serve`; returns the process exit code."""
    supervisor = Supervisor(config)
    supervisor.install_signal_handlers()
    ensure_data_dirs()
    if config["MIGRATE_ON_START"]:
        try:
            migrate_under_lock()
        except Exception as exc:  # one clear line, then exit non-zero (nothing is running yet)
            logger.error(
                "hdm.serve.migrate_failed", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
            return 1
    return supervisor.run()
