"""gunicorn as harmony_serve starts it: slow-header clients, oversize heads, chunked bodies.

The loopback test runs the shipped command line (`serve.gunicorn_argv`) for real. Its bound
(`PROBE_BOUND_S`) only keeps a failure from hanging the suite: with gunicorn's plain
`gthread` the probe is never answered while the slow clients hold every thread.
`bench/slow_clients_bench.py` measures the latency itself.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from harmony_site import config, serve
from harmony_site.gunicorn_worker import head_is_complete, is_api_request
from tests.harmony_site.test_serve import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SLOW_CLIENTS = 50
PROBE_BOUND_S = 10.0


def shipped_config(tmp_path: Path, port: int) -> tuple[config.Config, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    for name in ("HTTP_BIND", "OAUTH_CALLBACK_BIND", "WEB_WORKERS", "WEB_THREADS"):
        env.pop(name, None)  # the shipped defaults, apart from the port
    env.update(
        CONFIG_DIR=str(tmp_path / "config"),
        HTTP_BIND=f"127.0.0.1:{port}",
        OAUTH_CALLBACK_BIND="",
        DATABASE_URL=os.environ.get("DATABASE_URL", ""),
    )
    return config.load(env), env


def test_harmony_serve_runs_the_head_reading_worker(tmp_path):
    cfg, _ = shipped_config(tmp_path, 8080)
    argv = serve.gunicorn_argv(cfg)
    assert argv[argv.index("--worker-class") + 1] == serve.WORKER_CLASS
    assert argv[argv.index("--threads") + 1] == str(cfg["WEB_THREADS"])
    one_thread = config.Config(
        values={**cfg.values, "WEB_THREADS": 1},
        sources=cfg.sources,
        config_dir=cfg.config_dir,
        yml_path=cfg.yml_path,
    )
    argv = serve.gunicorn_argv(one_thread)
    assert argv[argv.index("--worker-class") + 1] == serve.WORKER_CLASS


@pytest.mark.parametrize(
    ("chunks", "complete"),
    [
        ([b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"], True),
        ([b"GET / HTTP/1.1\r\nHost: a\r", b"\n", b"\r", b"\n"], True),
        ([b"GET / HTTP/1.1\nHost: a\n\n"], True),
        ([b"GET / HTTP/1.1\r\nHost: a\r\n"], False),
    ],
)
def test_head_is_complete_across_chunk_boundaries(chunks, complete):
    head = bytearray()
    found = False
    for chunk in chunks:
        searched = len(head)
        head += chunk
        found = found or head_is_complete(head, searched)
    assert found is complete


def test_api_requests_are_recognised_by_their_request_line():
    assert is_api_request(b"GET /api/v1/status?x=1 HTTP/1.1\r\n")
    assert not is_api_request(b"GET /ui/api/ HTTP/1.1\r\n")


@pytest.fixture
def gunicorn(tmp_path) -> Iterator[tuple[str, int]]:
    port = free_port()
    cfg, env = shipped_config(tmp_path, port)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            serve.gunicorn_argv(cfg), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for(
            lambda: process.poll() is not None or serve.answers_live(f"127.0.0.1:{port}"),
            timeout=60,
            what="gunicorn answering",
        )
        assert process.poll() is None, log_path.read_text()[-3000:]
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=15)


def request(host: str, port: int, method: str, path: str, **kwargs) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=PROBE_BOUND_S)
    try:
        conn.request(method, path, **kwargs)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


@pytest.mark.slow
def test_health_probe_is_answered_while_50_clients_send_headers_slowly(gunicorn):
    host, port = gunicorn
    assert request(host, port, "GET", "/api/health/live")[0] == 200
    with ExitStack() as stack:
        slow = []
        for n in range(SLOW_CLIENTS):
            sock = stack.enter_context(socket.create_connection((host, port)))
            sock.sendall(f"GET /api/health/live HTTP/1.1\r\nHost: {host}\r\nX-Slow-{n}: ".encode())
            slow.append(sock)
        for _ in range(3):
            status, _, _ = request(host, port, "GET", "/api/health/live")
            assert status == 200
        for sock in slow:  # still connected and unanswered: they really held their heads open
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)


@pytest.mark.slow
def test_oversize_heads_and_chunked_bodies_get_the_api_error_shape(gunicorn):
    host, port = gunicorn
    status, kind, body = request(host, port, "GET", "/api/v1/status?q=" + "x" * 5000)
    assert (status, kind) == (414, "application/json")
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    huge = {"X-Big": "y" * 9000}
    status, kind, body = request(host, port, "GET", "/api/v1/status", headers=huge)
    assert (status, kind) == (431, "application/json")
    assert json.loads(body)["error"]["code"] == "header_fields_too_large"
    # Outside the API gunicorn keeps its own page.
    assert request(host, port, "GET", "/ui/?q=" + "x" * 5000)[:2] == (414, "text/html")
    chunked = request(
        host,
        port,
        "POST",
        "/api/v1/downloads",
        body=iter([b'{"links": ', b'["x"]}']),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )
    assert chunked[:2] == (411, "application/json")
    assert json.loads(chunked[2])["error"]["code"] == "length_required"
