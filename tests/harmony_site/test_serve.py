"""`manage.py harmony_serve` for real: subprocesses, loopback ports, signals, exit codes."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harmony_site import serve

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "django-secret-7b1f0c9e5d2a",
    "HARMONY_API_KEYS": "apikey-alpha-4c2e9b71,apikey-beta-88d1f3a0",
    "SPOTIFY_CLIENT_SECRET": "spotify-secret-a9d8c7b6",
    "HARMONY_ADMIN_PASSWORD": "admin-pass-e5f4a3b2",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)  # polling interval, not a timed wait: the deadline decides
    raise AssertionError(f"timed out waiting for {what}")


def get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def start_serve(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        CONFIG_DIR=str(tmp_path / "config"),
        DOWNLOADS_DIR=str(tmp_path / "downloads"),
        MUSIC_DIR=str(tmp_path / "music"),
        HTTP_BIND=f"127.0.0.1:{port}",
        OAUTH_CALLBACK_BIND=f"127.0.0.1:{free_port()}",
        WEB_WORKERS="1",
        HDM_WORKERS="1",
        LOG_LEVEL="DEBUG",
        DATABASE_URL=os.environ.get("DATABASE_URL", ""),
    )
    env.update(extra)
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "harmony_serve"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}", log


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=10)


@pytest.mark.slow
def test_serve_gets_ready_creates_config_keeps_secrets_out_of_logs_and_stops_on_sigterm(tmp_path):
    process, base, log = start_serve(tmp_path, **SECRETS)
    try:
        status, body = wait_for(
            lambda: (r := get(f"{base}/api/health/ready?verbose=1"))[0] == 200 and r,
            timeout=90,
            what="readiness",
        )
        assert json.loads(body)["status"] == "ok"
        assert (tmp_path / "config" / "harmony.yml").is_file()
        assert (tmp_path / "config" / "harmony.db").is_file() or os.environ.get("DATABASE_URL")
        assert (tmp_path / "downloads").is_dir() and (tmp_path / "music").is_dir()
        key = SECRETS["HARMONY_API_KEYS"].split(",")[0]
        # A realistic flow: authenticated reads, a wrong key, a key pasted into a query string.
        assert get(f"{base}/api/v1/status", {"X-API-Key": key})[0] == 200
        assert get(f"{base}/env", {"Authorization": f"Bearer {key}"})[0] == 200
        get(f"{base}/api/v1/status", {"X-API-Key": SECRETS["SPOTIFY_CLIENT_SECRET"]})
        get(f"{base}/api/v1/status?api_key={key}")
        get(f"{base}/ui/", {"X-Request-ID": "trace-me-1"})
    finally:
        started = time.monotonic()
        code = stop(process)
    assert code == 0
    assert time.monotonic() - started < 10
    output = log.read_text()
    for name, value in SECRETS.items():
        for secret in value.split(","):
            assert secret not in output, f"{name} leaked into the log"
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line.get("request_id") == "trace-me-1" for line in lines)
    assert any(line["message"] == "hdm.serve.ready" for line in lines)


@pytest.mark.slow
# Known intermittent failure on the merged tree (no new gunicorn within a minute about one run
# in three under load): under investigation, see the 1.1 release notes.
@pytest.mark.xfail(reason="gunicorn restart after SIGKILL is intermittent", strict=False)
def test_serve_restarts_a_web_server_that_died(tmp_path):
    process, base, log = start_serve(tmp_path)
    try:
        wait_for(lambda: get(f"{base}/api/health/live")[0] == 200, timeout=90, what="liveness")
        gunicorn_pid = wait_for(
            lambda: _child_pid(log, "gunicorn"), timeout=10, what="gunicorn pid in the log"
        )
        os.kill(gunicorn_pid, signal.SIGKILL)
        wait_for(
            lambda: _child_pid(log, "gunicorn", after=gunicorn_pid), timeout=60, what="a new one"
        )
        wait_for(lambda: get(f"{base}/api/health/live")[0] == 200, timeout=60, what="answers")
        assert process.poll() is None
    finally:
        assert stop(process) == 0
    assert "hdm.serve.child_died" in log.read_text()


@pytest.mark.slow
def test_killing_harmony_serve_alone_takes_its_children_down(tmp_path):
    process, base, log = start_serve(tmp_path)
    try:
        wait_for(lambda: _child_pid(log, "dispatcher"), timeout=90, what="every child started")
        children = _descendants(process.pid)
        assert len(children) >= 4  # gunicorn, its worker, qcluster and its processes...
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        wait_for(
            lambda: not [pid for pid in children if _running(pid)],
            timeout=30,
            what="every child of the killed harmony_serve to exit",
        )
    finally:
        if process.poll() is None:
            stop(process)


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _child_pid(log: Path, name: str, *, after: int | None = None) -> int | None:
    """The pid of the last `name` child started (or of the one started after pid `after`)."""
    pids = [
        json.loads(line)["pid"]
        for line in log.read_text().splitlines()
        if '"hdm.serve.child_started"' in line and f'"child": "{name}"' in line
    ]
    if after is not None:
        pids = pids[pids.index(after) + 1 :] if after in pids else []
    return pids[-1] if pids else None


def test_broken_harmony_yml_stops_manage_py_with_one_line_and_exit_2(tmp_path):
    (tmp_path / "harmony.yml").write_text("WEB_WORKERS: [unclosed\n")
    env = {**os.environ, "CONFIG_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "harmony_check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "harmony.yml" in result.stderr and "malformed YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_watchdog_restarts_a_stalled_cluster_and_stop_reaps_it(monkeypatch, settings):
    calls = {"n": 0}

    def stalled_once() -> bool:
        calls["n"] += 1
        return calls["n"] == 1

    monkeypatch.setattr(serve, "_WATCHDOGS", [])
    serve.register_cluster_watchdog(stalled_once)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "unused")
    config = {
        **settings.HARMONY.values,
        "SERVE_WATCHDOG_INTERVAL_S": 0.01,
        "HDM_CLUSTER_GRACE_S": 0.0,
    }
    supervisor = serve.Supervisor(config)
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    supervisor.web = serve.Child("gunicorn", sleeper, dict(os.environ))
    supervisor.cluster = serve.Child("qcluster", sleeper, dict(os.environ))
    supervisor.dispatcher = serve.Child("dispatcher", sleeper, dict(os.environ))
    for child in (supervisor.web, supervisor.cluster, supervisor.dispatcher):
        child.start()
    first_pid = supervisor.cluster.process.pid
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(code=supervisor._supervise()))
    thread.start()
    try:
        wait_for(
            lambda: supervisor.cluster.process.pid != first_pid and calls["n"] >= 2,
            timeout=20,
            what="cluster restart",
        )
    finally:
        supervisor.stop_requested.set()
        thread.join(timeout=10)
        serve.stop_children([supervisor.dispatcher, supervisor.cluster, supervisor.web], timeout=5)
    assert result["code"] == 0
    assert not supervisor.cluster.running() and not supervisor.web.running()
    assert not supervisor.dispatcher.running()


def _sleeping_supervisor(monkeypatch, settings, **config) -> serve.Supervisor:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "unused")
    supervisor = serve.Supervisor({**settings.HARMONY.values, **config})
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    supervisor.web = serve.Child("gunicorn", sleeper, dict(os.environ))
    supervisor.cluster = serve.Child("qcluster", sleeper, dict(os.environ))
    supervisor.dispatcher = serve.Child("dispatcher", sleeper, dict(os.environ))
    return supervisor


def test_a_fresh_cluster_is_not_judged_in_its_grace_period_and_a_vain_restart_doubles_it(
    monkeypatch, settings
):
    calls: list[str] = []
    monkeypatch.setattr(serve, "_WATCHDOGS", [lambda: calls.append("judged") or True])
    monkeypatch.setattr(serve, "_STARTED_HOOKS", [lambda: calls.append("started")])
    supervisor = _sleeping_supervisor(monkeypatch, settings, HDM_CLUSTER_GRACE_S=60.0)
    try:
        supervisor._start_cluster()
        first = supervisor.cluster.process.pid
        supervisor._watch_cluster()  # an old heartbeat says "stalled": inside the grace, ignored
        assert calls == ["started"] and supervisor.cluster.process.pid == first
        supervisor.cluster_started_at -= 61  # the grace is over
        supervisor._watch_cluster()
        assert calls == ["started", "judged", "started"]
        assert supervisor.cluster.process.pid != first and supervisor.grace_s == 120.0
    finally:
        serve.stop_children([supervisor.cluster], timeout=5)


def test_a_dead_child_is_restarted_until_it_crash_loops(monkeypatch, settings):
    supervisor = _sleeping_supervisor(monkeypatch, settings)
    supervisor.web.argv = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor.web.start()
    try:
        revived = []
        for _ in range(serve.CRASH_LIMIT):
            supervisor.web.process.wait(timeout=30)
            revived.append(supervisor._revive(supervisor.web))
        assert revived == [True] * (serve.CRASH_LIMIT - 1) + [False]
    finally:
        serve.stop_children([supervisor.web], timeout=5)


def test_start_up_clears_the_metrics_folders_of_dead_instances_only(tmp_path, monkeypatch):
    monkeypatch.setattr(serve.tempfile, "gettempdir", lambda: str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (tmp_path / f"harmony-metrics-{dead}-abc").mkdir()
    (tmp_path / f"harmony-metrics-{dead}-abc" / "counter_1.db").write_bytes(b"x")
    (tmp_path / f"harmony-metrics-{os.getpid()}-def").mkdir()
    assert serve.clear_stale_metrics_dirs() == 1
    assert [p.name for p in tmp_path.iterdir()] == [f"harmony-metrics-{os.getpid()}-def"]


def test_watchdog_that_raises_counts_as_not_stalled(monkeypatch):
    monkeypatch.setattr(serve, "_WATCHDOGS", [])

    @serve.register_cluster_watchdog
    def broken() -> bool:
        raise RuntimeError("db away")

    assert serve.cluster_is_stalled() is False


@pytest.mark.parametrize(
    ("bind", "target"),
    [
        ("0.0.0.0:8080", ("127.0.0.1", 8080)),
        ("[::]:8080", ("::1", 8080)),
        ("10.1.2.3:81", ("10.1.2.3", 81)),
        ("unix:/run/h.sock", None),
    ],
)
def test_loopback_target_for_a_bind(bind, target):
    assert serve.loopback_target(bind) == target


@pytest.mark.django_db
def test_apply_now_reloads_the_web_workers_and_restarts_the_cluster(
    monkeypatch, settings, tmp_path
):
    from harmony_site.configuration import RELOAD_FLAG, request_reload

    settings.CONFIG_DIR = tmp_path
    monkeypatch.setattr(serve, "_WATCHDOGS", [])
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "unused")
    supervisor = serve.Supervisor({**settings.HARMONY.values, "SERVE_WATCHDOG_INTERVAL_S": 60})
    hup = tmp_path / "hup"
    on_hup = (
        "import signal, sys, time; "
        "signal.signal(signal.SIGHUP, lambda *a: open(sys.argv[1], 'w').write('reloaded')); "
        "time.sleep(120)"
    )
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    supervisor.web = serve.Child("gunicorn", [sys.executable, "-c", on_hup, str(hup)], {})
    supervisor.cluster = serve.Child("qcluster", sleeper, dict(os.environ))
    supervisor.dispatcher = serve.Child("dispatcher", sleeper, dict(os.environ))
    for child in (supervisor.web, supervisor.cluster, supervisor.dispatcher):
        child.start()
    web_pid, cluster_pid = supervisor.web.process.pid, supervisor.cluster.process.pid
    thread = threading.Thread(target=supervisor._supervise)
    thread.start()
    try:
        request_reload(actor="user:admin")
        wait_for(lambda: hup.exists(), timeout=20, what="the web workers' reload")
        wait_for(lambda: supervisor.cluster.process.pid != cluster_pid, timeout=20, what="cluster")
    finally:
        supervisor.stop_requested.set()
        thread.join(timeout=10)
        serve.stop_children([supervisor.dispatcher, supervisor.cluster, supervisor.web], timeout=5)
    assert supervisor.web.process.pid == web_pid, "the web server is reloaded, not restarted"
    assert not (tmp_path / RELOAD_FLAG).exists(), "the request is consumed once"


@pytest.mark.slow
def test_a_busy_callback_port_disables_only_the_callback_listener(tmp_path):
    with socket.socket() as squatter:  # another program (say Jupyter) holds the callback port
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = f"127.0.0.1:{squatter.getsockname()[1]}"
        process, base, log = start_serve(tmp_path, OAUTH_CALLBACK_BIND=busy)
        try:
            wait_for(
                lambda: get(f"{base}/api/health/ready")[0] == 200, timeout=90, what="readiness"
            )
            assert process.poll() is None
            assert get(f"{base}/api/v1/oauth/status")[0] == 200  # manual completion still served
        finally:
            code = stop(process)
    assert code == 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    warnings = [line for line in lines if line["message"] == "hdm.serve.oauth_callback_disabled"]
    assert warnings and warnings[0]["bind"] == busy and warnings[0]["level"] == "WARNING"


def test_a_free_callback_port_is_kept():
    port = free_port()
    assert serve.usable_oauth_bind({"OAUTH_CALLBACK_BIND": f"127.0.0.1:{port}"}) == (
        f"127.0.0.1:{port}"
    )
    assert serve.usable_oauth_bind({"OAUTH_CALLBACK_BIND": ""}) == ""


def test_the_guardian_stops_a_child_that_ignores_sigterm_once_harmony_serve_is_gone(tmp_path):
    guardian = serve.Guardian()
    armed = tmp_path / "armed"
    stubborn = [sys.executable, "-c",
                "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "pathlib.Path(sys.argv[1]).touch(); time.sleep(120)", str(armed)]  # fmt: skip
    child = serve.Child("qcluster", stubborn, dict(os.environ), guardian)
    child.start()
    try:
        wait_for(armed.exists, timeout=30, what="the child to ignore SIGTERM")
        guardian.process.stdin.close()  # what harmony_serve's death does to the pipe
        assert child.process.wait(timeout=30) == -signal.SIGKILL
        assert guardian.process.wait(timeout=10) == 0
    finally:
        child.kill_group()
