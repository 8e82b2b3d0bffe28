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
        **extra,
    )
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
def test_serve_exits_non_zero_when_the_web_server_dies(tmp_path):
    process, base, log = start_serve(tmp_path)
    try:
        wait_for(lambda: get(f"{base}/api/health/live")[0] == 200, timeout=90, what="liveness")
        gunicorn_pid = wait_for(
            lambda: _child_pid(log, "gunicorn"), timeout=10, what="gunicorn pid in the log"
        )
        os.kill(gunicorn_pid, signal.SIGKILL)
        assert process.wait(timeout=20) == 1
    finally:
        if process.poll() is None:
            stop(process)
    assert "hdm.serve.child_died" in log.read_text()


def _child_pid(log: Path, name: str) -> int | None:
    for line in log.read_text().splitlines():
        if '"hdm.serve.child_started"' in line and f'"child": "{name}"' in line:
            return json.loads(line)["pid"]
    return None


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
    config = {**settings.HARMONY.values, "SERVE_WATCHDOG_INTERVAL_S": 0.01}
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
