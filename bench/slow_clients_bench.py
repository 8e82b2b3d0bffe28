"""Slow-client benchmark: health probes while clients send their request heads slowly.

    .venv/bin/python bench/slow_clients_bench.py [--slow-clients 50] [--probes 20]

gunicorn is started exactly as `harmony_serve` starts it (`harmony_site.serve.gunicorn_argv`,
the shipped WEB_WORKERS and WEB_THREADS) on loopback with a temporary CONFIG_DIR. First
`--probes` sequential `GET /api/health/live` give the baseline; then `--slow-clients`
connections each send a request line and one unfinished header and keep sending a byte every
second, and the same probes run again. Reported: p50 and the slowest probe of both phases
(target: every probe under 1 s with 50 slow clients, issue 14) and how many probes failed.
Results are printed and written to `bench/results/slow_clients.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results" / "slow_clients.json"
TARGET_S = 1.0
PROBE_TIMEOUT_S = 5.0


def probe(port: int) -> float | None:
    """Seconds one health probe took, or None when it failed or timed out."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT_S)
    try:
        conn.request("GET", "/api/health/live")
        ok = conn.getresponse().status == 200
    except OSError:
        ok = False
    finally:
        conn.close()
    return time.perf_counter() - started if ok else None


def phase(port: int, probes: int) -> dict[str, Any]:
    times = [probe(port) for _ in range(probes)]
    answered = [t for t in times if t is not None]
    return {
        "probes": probes,
        "failed": probes - len(answered),
        "p50_s": statistics.median(answered) if answered else None,
        "max_s": max(answered) if answered else None,
    }


def trickle(sockets: list[socket.socket], stop: threading.Event) -> None:
    while not stop.wait(1.0):
        for sock in sockets:
            with contextlib.suppress(OSError):  # dropped by the head timeout: allowed
                sock.sendall(b"x")


def start_gunicorn(config_dir: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_WORKERS", "WEB_THREADS")}
    env.update(
        CONFIG_DIR=str(config_dir),
        HTTP_BIND=f"127.0.0.1:{port}",
        OAUTH_CALLBACK_BIND="",
        DJANGO_SETTINGS_MODULE="harmony_site.settings",
    )
    os.environ.update(CONFIG_DIR=env["CONFIG_DIR"], DJANGO_SETTINGS_MODULE="harmony_site.settings")
    import django

    django.setup()
    from harmony_site import config, serve

    argv = serve.gunicorn_argv(config.load(env))
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not serve.answers_live(f"127.0.0.1:{port}"):
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("gunicorn did not start")
        time.sleep(0.2)
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow-clients", type=int, default=50)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="harmony-bench-") as tmp:
        process, port = start_gunicorn(Path(tmp))
        stop = threading.Event()
        slow: list[socket.socket] = []
        try:
            baseline = phase(port, args.probes)
            for n in range(args.slow_clients):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(f"GET /api/health/live HTTP/1.1\r\nX-Slow-{n}: ".encode())
                slow.append(sock)
            threading.Thread(target=trickle, args=(slow, stop), daemon=True).start()
            loaded = phase(port, args.probes)
        finally:
            stop.set()
            for sock in slow:
                sock.close()
            process.terminate()
            process.wait(timeout=15)
    met = loaded["failed"] == 0 and (loaded["max_s"] or 0) < TARGET_S
    result = {
        "benchmark": "slow_clients",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "slow_clients": args.slow_clients,
        "baseline": baseline,
        "with_slow_clients": loaded,
        "target_max_s": TARGET_S,
        "met": met,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for name, row in (("baseline", baseline), (f"{args.slow_clients} slow clients", loaded)):
        p50, slowest = (
            f"{v * 1000:.1f} ms" if v is not None else "-" for v in (row["p50_s"], row["max_s"])
        )
        print(f"{name:>18}: p50 {p50}, slowest {slowest}, failed {row['failed']}")
    print(f"target: every probe < {TARGET_S} s -> {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
