"""`manage.py harmony_serve`: one command that runs all of Harmony (docs/health.md).

Start-up: create DOWNLOADS_DIR and MUSIC_DIR, apply migrations under a lock
(`MIGRATE_ON_START`), start gunicorn, wait until it answers and the core probes pass
(`SERVE_READY_TIMEOUT_S`), then start the django-q2 cluster. Both children run in their own
process groups so a stop also reaps their workers.

Supervision: SIGTERM or SIGINT is forwarded as SIGTERM to the children; whatever has not
exited after `STOP_TIMEOUT_S` is killed, and the command exits 0. A child that dies on its
own is restarted (what is left of its process group is killed first); one that dies
`CRASH_LIMIT` times within `CRASH_WINDOW_S` stops everything and the command exits 1, so a
container restart policy takes over. When harmony_serve itself dies, even by SIGKILL, its
guardian (harmony_site/guardian.py) stops every child's process group, so nothing is left
running unsupervised.

Watchdog: the HDM registers `register_cluster_watchdog(fn)` and `register_cluster_started(fn)`.
Each start-up hook runs right after the cluster (re)starts; every `SERVE_WATCHDOG_INTERVAL_S`
after the start-up grace (`HDM_CLUSTER_GRACE_S`, doubled after each restart that did not
help) each watchdog is called in this process and one returning True (the cluster is stalled
or frozen) makes harmony_serve restart the cluster process.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import logging
import os
import shutil
import signal
import socket
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

logger = logging.getLogger("hdm.serve")

STOP_TIMEOUT_S = 8.0  # inside Docker's default 10 s grace period
WORKER_CLASS = "harmony_site.gunicorn_worker.HarmonyThreadWorker"
POLL_S = 0.2
STALE_TEMP_AGE_S = 3600.0
OAUTH_LISTENER_ENV = "HARMONY_OAUTH_LISTENER"
CRASH_LIMIT = 5  # deaths of one child within CRASH_WINDOW_S before harmony_serve gives up
CRASH_WINDOW_S = 300.0
MAX_GRACE_S = 900.0
METRICS_PREFIX = "harmony-metrics-"
ClusterWatchdog = Callable[[], bool]
ClusterStarted = Callable[[], None]
_WATCHDOGS: list[ClusterWatchdog] = []
_STARTED_HOOKS: list[ClusterStarted] = []


def register_cluster_watchdog(fn: ClusterWatchdog) -> ClusterWatchdog:
    """Decorator: `fn()` returns True when the task cluster is stalled and must restart."""
    if fn not in _WATCHDOGS:
        _WATCHDOGS.append(fn)
    return fn


def register_cluster_started(fn: ClusterStarted) -> ClusterStarted:
    """Decorator: `fn()` runs in this process each time the task cluster (re)starts."""
    if fn not in _STARTED_HOOKS:
        _STARTED_HOOKS.append(fn)
    return fn


def announce_cluster_started() -> None:
    """Run every start-up hook; one that raises is logged (the grace period still applies)."""
    for hook in list(_STARTED_HOOKS):
        try:
            hook()
        except Exception as exc:
            logger.warning(
                "hdm.serve.start_hook_failed",
                extra={"hook": getattr(hook, "__name__", repr(hook)), "error": str(exc)},
            )
    connections.close_all()


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


def clear_stale_metrics_dirs() -> int:
    """Remove the metrics folders of harmony_serve processes that are gone (a SIGKILL leaves
    its folder behind); a live instance's folder, named after its pid, is left alone."""
    removed = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{METRICS_PREFIX}*-*"):
        owner = folder.name.removeprefix(METRICS_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        logger.info("hdm.serve.metrics_dirs_cleared", extra={"count": removed})
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class Guardian:
    """The guardian process: told of each child's process group, it stops them all once this
    process is gone (its stdin pipe closes when we die, however we die)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harmony_site.guardian", str(STOP_TIMEOUT_S)],
            stdin=subprocess.PIPE,
            cwd=settings.BASE_DIR,
            start_new_session=True,  # a terminal's Ctrl+C or a group kill is ours alone
        )

    def watch(self, pgid: int) -> None:
        self._tell(f"+{pgid}")

    def forget(self, pgid: int) -> None:
        self._tell(f"-{pgid}")

    def close(self) -> None:
        """Every child is stopped: let the guardian exit."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait()

    def _tell(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a dead or closed guardian: go on
            self.process.stdin.write(f"{line}\n".encode())  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]


class Child:
    """One supervised subprocess, leader of its own process group."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], guardian: Guardian | None = None
    ) -> None:
        self.name, self.argv, self.env, self.guardian = name, argv, env, guardian
        self.process: subprocess.Popen[bytes] | None = None
        self.deaths: list[float] = []  # monotonic times of unexpected deaths

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=settings.BASE_DIR, start_new_session=True
        )
        if self.guardian is not None:
            self.guardian.watch(self.process.pid)
        logger.info("hdm.serve.child_started", extra={"child": self.name, "pid": self.process.pid})

    def crash_looping(self) -> bool:
        """Record one death; True when this child died CRASH_LIMIT times in CRASH_WINDOW_S."""
        now = time.monotonic()
        self.deaths = [t for t in self.deaths if now - t < CRASH_WINDOW_S] + [now]
        return len(self.deaths) >= CRASH_LIMIT

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
            if self.guardian is not None:
                self.guardian.forget(self.process.pid)


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


def gunicorn_argv(config: Any, *, oauth_bind: str = "") -> list[str]:
    argv = [sys.executable, "-m", "gunicorn", "harmony_site.wsgi:application"]
    argv += ["--config", "python:harmony_site.gunicorn_conf", "--bind", config["HTTP_BIND"]]
    if oauth_bind:
        argv += ["--bind", oauth_bind]
    argv += ["--workers", str(config["WEB_WORKERS"]), "--timeout", str(config["WEB_TIMEOUT"])]
    # Threaded workers that read request heads in their event loop (harmony_site/
    # gunicorn_worker.py): slow-header clients hold no thread, so probes stay fast. More than
    # 2 threads mostly add GIL contention (docs/api.md).
    argv += ["--worker-class", WORKER_CLASS, "--threads", str(config["WEB_THREADS"])]
    # Workers must finish their requests inside our own stop deadline.
    argv += ["--graceful-timeout", str(int(STOP_TIMEOUT_S) - 2), "--no-control-socket"]
    return argv


def usable_oauth_bind(config: Any) -> str:
    """OAUTH_CALLBACK_BIND when its port is free, else "" with a warning.

    The loopback callback is a convenience (manual completion works without it): a port taken
    by another program (Jupyter also likes 8888) must not keep the whole of Harmony from
    starting, which is what gunicorn does when one of its binds fails.
    """
    bind = config["OAUTH_CALLBACK_BIND"]
    target = loopback_target(bind) if bind else None
    if target is None:
        return bind
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # gunicorn binds with SO_REUSEADDR too, so a TIME_WAIT leftover is not "busy".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((_bind_host(bind), target[1]))
        except OSError as exc:
            logger.warning(
                "hdm.serve.oauth_callback_disabled",
                extra={"bind": bind, "error": exc.strerror or str(exc)},
            )
            return ""
    return bind


def _bind_host(bind: str) -> str:
    host = bind.rpartition(":")[0].strip("[]")
    return host or "0.0.0.0"


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


def port_taken(bind: str) -> bool:
    """Someone already listens on the bind (an older Harmony still stopping, or another
    program): then its answers must not count as our web server being ready."""
    target = loopback_target(bind)
    if target is None:
        return False
    with socket.socket(socket.AF_INET6 if ":" in target[0] else socket.AF_INET) as sock:
        sock.settimeout(1)
        return sock.connect_ex(target) == 0


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
        self.cluster_started_at = time.monotonic()
        self.grace_s: float = config["HDM_CLUSTER_GRACE_S"]
        env = self._child_env()
        oauth_bind = usable_oauth_bind(config)
        if config["OAUTH_CALLBACK_BIND"] and not oauth_bind:
            env[OAUTH_LISTENER_ENV] = "busy"  # the Spotify page says why the callback is off
        self.web = Child("gunicorn", gunicorn_argv(config, oauth_bind=oauth_bind), env)
        self.cluster = Child("qcluster", cluster_argv(), env)
        # Ends the HDM's short waits on time; the cluster's scheduler only looks every ~30 s.
        self.dispatcher = Child("dispatcher", dispatcher_argv(), env)

    def _child_env(self) -> dict[str, str]:
        from harmony_site.health import STARTED_AT_ENV  # it loads DRF: only where a server starts

        env = dict(os.environ)
        env[STARTED_AT_ENV] = str(time.time())
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            # Every worker and cluster process writes its metrics here; /api/v1/metrics sums them.
            # Named after this pid: a later start-up removes it if this process is gone.
            self.metrics_dir = tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-")
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
        guardian = Guardian()
        for child in (self.web, self.cluster, self.dispatcher):
            child.guardian = guardian
        try:
            return self._run()
        finally:
            stop_children([self.dispatcher, self.cluster, self.web])
            guardian.close()
            if self.metrics_dir:
                shutil.rmtree(self.metrics_dir, ignore_errors=True)
            logger.info("hdm.serve.stopped")

    def _run(self) -> int:
        if not self._wait_for_port():
            return 0 if self.stop_requested.is_set() else 1
        self.web.start()
        if not self._wait_until_ready():
            return 0 if self.stop_requested.is_set() else 1
        self._start_cluster()
        self.dispatcher.start()
        logger.info("hdm.serve.ready", extra={"bind": self.config["HTTP_BIND"]})
        return self._supervise()

    def _wait_for_port(self) -> bool:
        """An older instance's web server may still be stopping: wait for it to let go."""
        bind = self.config["HTTP_BIND"]
        deadline = time.monotonic() + self.config["SERVE_READY_TIMEOUT_S"]
        while port_taken(bind):
            if self.stop_requested.is_set():
                return False
            if time.monotonic() >= deadline:
                logger.error(
                    "hdm.serve.port_taken",
                    extra={"bind": bind, "error": f"another program already listens on {bind}"},
                )
                return False
            self.stop_requested.wait(0.5)
        return True

    def _start_cluster(self) -> None:
        self.cluster.start()
        self.cluster_started_at = time.monotonic()
        announce_cluster_started()

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
                if not child.running() and not self._revive(child):
                    return 1
            if self._reload_requested():
                self._reload()
            if time.monotonic() >= next_watch:
                next_watch = time.monotonic() + interval
                self._watch_cluster()
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
        self._start_cluster()
        self.dispatcher.start()

    def _revive(self, child: Child) -> bool:
        """Restart a child that died on its own; False once it keeps dying (crash loop)."""
        self._log_death(child)
        child.kill_group()  # its workers may outlive it, holding the port or the queue
        if child.crash_looping():
            logger.error("hdm.serve.crash_loop", extra={"child": child.name})
            return False
        if child is self.cluster:
            self._start_cluster()
        else:
            child.start()
        return True

    def _watch_cluster(self) -> None:
        # A freshly started cluster needs time to boot and run its first ping: judging it
        # earlier would restart it again and again (a loop that never lets it beat).
        if time.monotonic() - self.cluster_started_at < self.grace_s:
            return
        if not cluster_is_stalled():
            self.grace_s = self.config["HDM_CLUSTER_GRACE_S"]
            return
        logger.warning("hdm.serve.cluster_restart", extra={"reason": "stalled"})
        stop_children([self.cluster])
        self._start_cluster()
        # Restarting did not help last time: give the next cluster longer before judging it.
        self.grace_s = min(self.grace_s * 2, MAX_GRACE_S)

    def _log_death(self, child: Child) -> None:
        logger.error(
            "hdm.serve.child_died", extra={"child": child.name, "exit_code": child.exit_code()}
        )


def serve(config: Any) -> int:
    """The body of `manage.py harmony_serve`; returns the process exit code."""
    supervisor = Supervisor(config)
    supervisor.install_signal_handlers()
    ensure_data_dirs()
    clear_stale_metrics_dirs()
    if config["MIGRATE_ON_START"]:
        try:
            migrate_under_lock()
        except Exception as exc:  # one clear line, then exit non-zero (nothing is running yet)
            logger.error(
                "hdm.serve.migrate_failed", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
            return 1
    return supervisor.run()
