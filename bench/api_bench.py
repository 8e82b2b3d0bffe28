"""REST API benchmark: gunicorn with the production settings on loopback, SQLite.

    .venv/bin/python bench/api_bench.py [--tracks 10000] [--jobs 10000] [--clients 16]
                                        [--seconds 30] [--max-requests 20000]

A temporary CONFIG_DIR holds a fresh SQLite database with `--tracks` library tracks (each with a
file) and `--jobs` download jobs, bulk-created. gunicorn is started exactly as `harmony_serve`
starts it (`harmony_site.serve.gunicorn_argv`: WEB_WORKERS workers of WEB_THREADS threads,
DEBUG off), and `--clients` threads with keep-alive `http.client` connections call each endpoint
until `--max-requests` answers or `--seconds` have passed, whichever comes first. Reported per
endpoint: requests/s, p50/p99 latency (targets: p99 < 100 ms, 0 errors), the p50 of one client
alone (the service time without queueing: 16 clients on 2 workers wait behind each other), and
the server's CPU time per request (gunicorn's process group, from /proc: the figure that stays
comparable on a busy shared machine). Results are printed as a table and written to
`bench/results/api.json`; docs/benchmarks.md explains them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "api.json"
API_KEY = "bench-admin-key-0123456789"
P99_TARGET_MS = 100.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(root: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("CONFIG_DIR", "DOWNLOADS_DIR", "MUSIC_DIR"):
        path = root / name.split("_")[0].lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env.update(
        LOG_LEVEL="ERROR",
        DEBUG="false",
        HARMONY_API_KEYS=API_KEY,
        HTTP_BIND=f"127.0.0.1:{port}",
        OAUTH_CALLBACK_BIND="",
        DJANGO_SETTINGS_MODULE="harmony_site.settings",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _fill_library(count: int) -> None:
    from library.models import Album, Artist, LibraryFile, Track

    artists = Artist.objects.bulk_create(
        Artist(name=f"Artist {n}", name_key=f"artist {n}") for n in range(max(1, count // 20))
    )
    albums = Album.objects.bulk_create(
        Album(title=f"Album {n}", title_key=f"album {n}", album_artist=artists[n % len(artists)])
        for n in range(max(1, count // 10))
    )
    tracks = Track.objects.bulk_create(
        (
            Track(
                title=f"Song {n}",
                artists=albums[n % len(albums)].album_artist.name,
                artist=albums[n % len(albums)].album_artist,
                album=albums[n % len(albums)],
                track_number=n % 10 + 1,
                duration_ms=200_000,
                artist_key=f"artist {n % len(artists)}",
                title_key=f"song {n}",
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    LibraryFile.objects.bulk_create(
        (
            LibraryFile(
                track=track,
                path=f"lib/{track.pk}.flac",
                format="flac",
                codec="flac",
                sample_rate=44100,
                bit_depth=16,
                size=30_000_000,
                duration_s=200.0,
            )
            for track in tracks
        ),
        batch_size=2000,
    )


def _fill_jobs(count: int) -> bool:
    try:
        from downloads.models import Job, JobState
    except ImportError:
        return False
    states = [JobState.DONE, JobState.QUEUED, JobState.DEAD, JobState.FAILED]
    Job.objects.bulk_create(
        (
            Job(
                state=states[n % len(states)],
                wanted={"title": f"Song {n}", "artists": [f"Artist {n % 500}"]},
                wanted_key=f"text:artist {n % 500}|song {n}|",
                label=f"Artist {n % 500} — Song {n}",
                priority=100,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    return True


def _start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    from harmony_site.config import load
    from harmony_site.serve import gunicorn_argv

    argv = gunicorn_argv(load(env))
    process = subprocess.Popen(
        argv, cwd=REPO, env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health/live", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    _stop(process)
    raise SystemExit("gunicorn did not answer within 60 s")


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _get(conn: http.client.HTTPConnection, path: str) -> str | None:
    """One GET on a keep-alive connection; None when it answered 200, else what went wrong."""
    try:
        conn.request("GET", path, headers={"X-API-Key": API_KEY})
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()  # the next request reconnects
        return type(exc).__name__
    if response.will_close:
        conn.close()
    return None if response.status == 200 else f"HTTP {response.status}"


def _hammer(url: str, *, clients: int, seconds: float, max_requests: int) -> dict[str, Any]:
    # http.client rather than requests: the clients share the server's 2 cores, and a lean
    # client leaves more of them to the server being measured.
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    budget = iter(range(max_requests))
    deadline = time.monotonic() + seconds
    target = urlsplit(url)
    path = f"{target.path}?{target.query}" if target.query else target.path

    def client() -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if next(budget, None) is None:
                    break
            started = time.perf_counter()
            error = _get(conn, path)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if error:
                    errors.append(error)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return _summary(latencies, errors, wall)


def _group_cpu_s(pgid: int) -> float:
    """CPU seconds used so far by every live process of the server's process group (Linux).

    Server CPU per request is the figure that holds on a busy shared machine, where requests/s
    and latency also measure whatever else the cores are doing.
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _summary(latencies: list[float], errors: list[str], wall: float) -> dict[str, Any]:
    p99 = _percentile(latencies, 0.99)
    return {
        "requests": len(latencies),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(_percentile(latencies, 0.50), 1),
        "p99_ms": round(p99, 1),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "p99_target_met": p99 < P99_TARGET_MS,
    }


def _endpoints(base: str, have_jobs: bool) -> dict[str, str]:
    downloads = requests.get(
        f"{base}/api/v1/downloads?page_size=50", headers={"X-API-Key": API_KEY}, timeout=30
    )
    endpoints = {}
    if have_jobs and downloads.status_code == 200:
        endpoints["GET /api/v1/downloads?page_size=50"] = "/api/v1/downloads?page_size=50"
    else:  # the jobs API is missing in this build: measure the library list in its place
        endpoints["GET /api/v1/library/tracks?page_size=50 (downloads unavailable)"] = (
            "/api/v1/library/tracks?page_size=50"
        )
    endpoints["GET /api/v1/library/tracks?search=song 42"] = "/api/v1/library/tracks?search=song+42"
    return {label: base + path for label, path in endpoints.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="harmony-api-bench-"))
    port = _free_port()
    env = _environment(root, port)
    process = None
    try:
        _setup_django(env)
        _fill_library(args.tracks)
        have_jobs = _fill_jobs(args.jobs)
        from django.db import connections

        connections.close_all()
        process = _start_gunicorn(env, port)
        base = f"http://127.0.0.1:{port}"
        results = {}
        for label, url in _endpoints(base, have_jobs).items():
            # One client first: the time a request takes without queueing behind others.
            alone = _hammer(url, clients=1, seconds=5, max_requests=200)
            cpu_before = _group_cpu_s(process.pid)
            results[label] = row = _hammer(
                url, clients=args.clients, seconds=args.seconds, max_requests=args.max_requests
            )
            cpu_ms = (_group_cpu_s(process.pid) - cpu_before) * 1000
            row["single_client_p50_ms"] = alone["p50_ms"]
            row["server_cpu_ms_per_request"] = round(cpu_ms / max(1, row["requests"]), 2)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)
    _report(results, args)


def _report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    header = f"{'endpoint':<58} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
    print(header + f" {'1-client p50':>12} {'CPU ms/req':>10}")
    for label, row in results.items():
        print(
            f"{label:<58} {row['requests_per_s']:>7} {row['p50_ms']:>7} {row['p99_ms']:>7} "
            f"{row['errors']:>6} {row['single_client_p50_ms']:>12} "
            f"{row['server_cpu_ms_per_request']:>10}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "api",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "parameters": vars(args),
        "targets": {"p99_ms": P99_TARGET_MS, "errors": 0},
        "results": results,
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
