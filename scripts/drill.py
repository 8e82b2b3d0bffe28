"""`make drill`: the reliability drill. Harmony under mixed load while its cluster workers are
SIGKILLed and slskd fails, then the invariants.

    .venv/bin/python scripts/drill.py [--tracks 60] [--kills 24] [--keep]

Runs `manage.py harmony_serve` (gunicorn + the django-q2 cluster) with the fake slskd
(tests/fakes/live.py: real FLACs, auto mode, control routes) and the fake Spotify, all on
loopback in a temporary directory. While tracks are submitted (each once, through an
Idempotency-Key that makes resubmitting after a failed request safe, plus duplicate
submissions), a reader loads API lists, job details, status and UI pages as a logged-in
operator. Meanwhile the chaos loop SIGKILLs a cluster worker every few seconds (one running a
task when there is one; django-q2 starts a new one), makes slskd answer 503s, log out of
Soulseek and restart, accept enqueues but answer 500 or after the client's timeout, deliver
files at the wrong size and refuse a search as banned, once kills the whole of Harmony with
SIGKILL and starts it again after a downtime longer than `HDM_HEARTBEAT_STALE_S` (moved back
in the database: the new cluster must not be restarted in a loop), and once kills
`harmony_serve` alone (its children must die with it, and the next start must stay up). A
peer of the fake slskd shares a name UTF-8 cannot hold (a lone surrogate), and a file with a
Latin-1 name is dropped into the import folder. After the drain the disk is declared full
(`DISK_MIN_FREE_MB` above the free space): a new download and an import must wait, and
readiness must say why, until space "returns". Then it checks:

- every job is done exactly once (one `done` event), or dead with a reason;
- no track is done twice; each done job's file is in MUSIC_DIR; every file in MUSIC_DIR belongs
  to exactly one library row, parses with mutagen and has no twin; no `.harmony-tmp-*` file is
  left; no audio file appeared outside DOWNLOADS_DIR, MUSIC_DIR and the fake's own cache;
- no API answer was 5xx (or a refused connection) outside the declared restart windows;
- every slskd search was deleted; the cluster probe stayed ok after the downtime restart with
  no watchdog restart; no child outlived the killed `harmony_serve`, nor its metrics folder;
- the import with the Latin-1 name was filed under a reversible name; the full disk paused
  the download and the import, failed readiness on `disk`, and both finished afterwards.

Prints the figures and exits 1 when any invariant is violated. Bounded: at most
`--tracks` jobs, a few minutes of chaos and a drain deadline (about ten minutes in all).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.live_stack import REPO, Stack, StackError, wait_for  # noqa: E402
from scripts.live_stack import http as call  # noqa: E402
from tests.fakes.live import catalogue_track  # noqa: E402

DRILL_ENV = {
    "HDM_WORKERS": "3",
    "WEB_WORKERS": "2",
    "LOG_LEVEL": "WARNING",
    # Short recovery clocks, so lost work comes back within the drill's time box.
    "HDM_TASK_TIMEOUT_S": "30",
    "HDM_TASK_RETRY_S": "60",
    "HDM_LEASE_S": "40",
    "HDM_SWEEP_MINUTES": "1",
    "HDM_MAX_LOST_RUNS": "5",
    "HDM_BACKOFF_PROVIDER_S": "3",
    "HDM_BACKOFF_RATE_LIMIT_S": "3",
    "HDM_BACKOFF_PEER_S": "1",
    "HDM_BACKOFF_VERIFY_S": "1",
    "HDM_BACKOFF_DISK_S": "3",
    "HDM_BACKOFF_MAX_S": "20",
    "HDM_SEARCH_LOGGED_OUT_PAUSE_S": "5",
    "HDM_SEARCH_BUDGET": "1000",
    # Jobs that find their stage full wait for the next sweep (once a minute): enough search
    # slots keep the drill inside its time box.
    "HDM_MAX_SEARCHES": "8",
    "HDM_MAX_DOWNLOADS": "6",
    # A SIGKILLed idle worker can leave django-q2's task queue locked (its issue #23): the
    # watchdog's ping finds such a frozen cluster and harmony_serve restarts it.
    "HDM_HEARTBEAT_STALE_S": "90",
    "HDM_CLUSTER_FREEZE_S": "15",
    "HDM_CLUSTER_GRACE_S": "20",
    "SERVE_WATCHDOG_INTERVAL_S": "5",
    "SLSKD_MAX_RETRIES": "1",
    "SLSKD_TIMEOUT": "5",  # the "slow" enqueue fault answers after 8 s
    "HDM_SEARCH_BAN_PAUSE_S": "8",
    "HDM_SEARCH_BAN_RECOVERY_S": "30",
}
PASSWORD = "drill-operator-password-42"
KILL_INTERVAL_S = 1.5
CHAOS_MAX_S = 300.0
BUSY_SEARCH_S = 2.0
IDLE_KILL_ROUNDS = (6, 18)
DRAIN_TIMEOUT_S = 420.0
TERMINAL = ("done", "dead", "cancelled")
DOWNTIME_S = 3600  # how far the downtime restart moves the stored heartbeats back
AFTER_RESTART_WATCH_S = 40.0  # longer than HDM_CLUSTER_GRACE_S + a watchdog round
FULL_DISK_MB = str(10**9)  # a floor above any real disk's free space
LATIN1_NAME = b"Bj\xf6rk 100% Import.flac"


def say(message: str) -> None:
    print(f"drill: {message}", flush=True)


# -- what happened ---------------------------------------------------------------------------
@dataclass
class Record:
    requests: list[tuple[float, str, int]] = field(default_factory=list)  # (time, path, status)
    windows: list[list[float]] = field(default_factory=list)  # declared restarts [start, end]
    kills: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    submitted: dict[int, int] = field(default_factory=dict)  # track -> job id
    duplicates: dict[str, int] = field(default_factory=dict)  # answer status -> count
    watchdog_restarts: int = 0
    unavailable: int | None = None  # the job for a track the fake slskd does not offer
    orphans: list[Path] = field(default_factory=list)  # audio nobody imported
    dead: list[tuple] = field(default_factory=list)  # (job id, reason, detail)
    problems: list[str] = field(default_factory=list)  # recovery cases checked on the way
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, path: str, status: int) -> None:
        with self.lock:
            self.requests.append((time.monotonic(), path, status))

    def declared(self, moment: float) -> bool:
        return any(start <= moment <= (end or float("inf")) for start, end in self.windows)

    def bad_answers(self) -> list[str]:
        return [
            f"{path} answered {status or 'connection refused'}"
            for at, path, status in self.requests
            if (status == 0 or status >= 500) and not self.declared(at)
        ]


def tracked_api(stack: Stack, record: Record, method: str, path: str, body=None, **kw):
    status, answer = stack.api(method, path, body, **kw)
    record.note(f"{method} {path}", status)
    return status, answer


# -- load ------------------------------------------------------------------------------------
def submit_tracks(stack: Stack, record: Record, tracks: int, stop: threading.Event) -> None:
    """Each track once (retried under its Idempotency-Key when the request fails), with
    duplicate submissions of earlier tracks in between."""
    rng = random.Random(7)
    # A track nobody shares: it must end in the dead-letter queue with a reason.
    status, body = tracked_api(stack, record, "POST", "/api/v1/downloads", catalogue_track(9999))
    if status == 201:
        record.unavailable = int(body["job"]["id"])
    for i in range(tracks):
        while not stop.is_set():
            headers = {"Idempotency-Key": f"drill-track-{i}"}
            status, body = tracked_api(
                stack, record, "POST", "/api/v1/downloads", catalogue_track(i), headers=headers
            )
            if status in (200, 201) and body.get("job"):
                record.submitted[i] = int(body["job"]["id"])
                break
            stop.wait(1.0)
        if i and i % 3 == 0:
            dup = rng.randrange(i)
            status, body = tracked_api(
                stack, record, "POST", "/api/v1/downloads", catalogue_track(dup)
            )
            key = f"{status} {body.get('status') if isinstance(body, dict) else ''}".strip()
            with record.lock:
                record.duplicates[key] = record.duplicates.get(key, 0) + 1
        stop.wait(1.5)


class UiSession:
    """A browser-like session: cookies, CSRF token from the login form."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(f"{self.url}{path}", timeout=15) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, ""
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            return 0, ""

    def login(self, username: str, password: str) -> None:
        status, page = self.get("/ui/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise StackError(f"the login page answered {status} without a CSRF token")
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        request = urllib.request.Request(f"{self.url}/ui/login/", data=data, method="POST")
        request.add_header("Referer", f"{self.url}/ui/login/")
        with self.opener.open(request, timeout=15) as answer:
            if "/login" in answer.geturl():
                raise StackError("logging in to the UI failed")


def read_forever(stack: Stack, record: Record, ui: UiSession, stop: threading.Event) -> None:
    rng = random.Random(11)
    api_paths = ["/api/v1/downloads", "/api/v1/status", "/api/v1/dlq", "/api/v1/library/tracks",
                 "/api/v1/downloads?state=done", "/api/health/live", "/api/v1/library/files",
                 "/api/v1/activity"]  # fmt: skip
    ui_paths = ["/ui/", "/ui/downloads", "/ui/library", "/ui/system"]
    while not stop.is_set():
        path = rng.choice(api_paths)
        if record.submitted and rng.random() < 0.4:
            path = f"/api/v1/downloads/{rng.choice(list(record.submitted.values()))}"
        tracked_api(stack, record, "GET", path)
        page = rng.choice(ui_paths)
        if record.submitted and rng.random() < 0.3:
            page = f"/ui/jobs/{rng.choice(list(record.submitted.values()))}"
        record.note(f"GET {page}", ui.get(page)[0])
        stop.wait(0.3)


# -- chaos -----------------------------------------------------------------------------------
def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) for every process, read from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        table[int(entry.name)] = (ppid, cmdline)
    return table


def descendants(root: int, table: dict[int, tuple[int, str]]) -> list[int]:
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in table.items() if ppid == parent]
        found += children
        frontier += children
    return found


def cluster_workers(harmony_pid: int) -> tuple[list[int], list[int]]:
    """(busy, idle) django-q2 worker pids under harmony_serve (titles via setproctitle)."""
    table = process_table()
    busy, idle = [], []
    for pid in descendants(harmony_pid, table):
        title = table[pid][1]
        if title.startswith("qcluster") and " processing " in title:
            busy.append(pid)
        elif title.startswith("qcluster") and title.endswith(" idle"):
            idle.append(pid)
    return busy, idle


def kill_one_worker(stack: Stack, record: Record, rng: random.Random, *, idle: bool) -> bool:
    """SIGKILL one worker running a task (or, with `idle`, one waiting for a task); tasks are
    short, so look for a busy one for up to BUSY_SEARCH_S."""
    deadline = time.monotonic() + BUSY_SEARCH_S
    while True:
        busy, waiting = cluster_workers(stack.harmony.pid)  # type: ignore[union-attr]
        victims = waiting if idle else busy
        if victims or time.monotonic() >= deadline:
            break
        time.sleep(0.05)  # sampling process titles, bounded by the deadline
    if not victims:
        return False
    victim = rng.choice(victims)
    try:
        os.kill(victim, signal.SIGKILL)
    except ProcessLookupError:
        return False
    record.kills.append(f"worker {victim} ({'idle' if idle else 'busy'})")
    return True


def crash_and_restart_after_downtime(stack: Stack, record: Record) -> None:
    """SIGKILL harmony_serve and every process under it, move the stored heartbeats back by
    DOWNTIME_S (a long outage), start it again (declared) and watch the new cluster: it must
    be judged healthy and never restarted by the watchdog."""
    window = [time.monotonic(), 0.0]
    record.windows.append(window)
    pid = stack.harmony.pid  # type: ignore[union-attr]
    victims = [pid, *descendants(pid, process_table())]
    for victim in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    stack.harmony.wait()  # type: ignore[union-attr]
    record.kills.append(f"all of Harmony ({len(victims)} processes)")
    moved_back = f"datetime(beat_at, '-{DOWNTIME_S} seconds')"
    execute(stack.config_dir / "harmony.db", f"UPDATE downloads_heartbeat SET beat_at={moved_back}")
    restarts_before = stack.tail(lines=1_000_000).count("hdm.serve.cluster_restart")
    stack.start_harmony()
    window[1] = time.monotonic() + 1.0
    deadline = time.monotonic() + AFTER_RESTART_WATCH_S
    while time.monotonic() < deadline:
        status, body = stack.api("GET", "/api/health/ready?verbose=1")
        cluster = {p["name"]: p for p in (body or {}).get("probes", [])}.get("cluster", {})
        if status and cluster.get("status") != "ok":
            record.problems.append(f"after the downtime restart the cluster probe said {cluster}")
            break
        time.sleep(1.0)  # sampling readiness for the watch period
    if stack.tail(lines=1_000_000).count("hdm.serve.cluster_restart") > restarts_before:
        record.problems.append("the watchdog restarted the cluster after the downtime restart")


def kill_serve_alone(stack: Stack, record: Record) -> None:
    """SIGKILL harmony_serve only: its children must follow it, the next start must clear its
    metrics folder and stay up (declared)."""
    window = [time.monotonic(), 0.0]
    record.windows.append(window)
    pid = stack.harmony.pid  # type: ignore[union-attr]
    children = descendants(pid, process_table())
    os.kill(pid, signal.SIGKILL)
    stack.harmony.wait()  # type: ignore[union-attr]
    record.kills.append(f"harmony_serve alone (pid {pid}, {len(children)} children)")
    try:
        wait_for(lambda: not [c for c in children if running(c)], timeout=30.0,
                 what="the children of the killed harmony_serve to exit")  # fmt: skip
    except StackError:
        left = [c for c in children if running(c)]
        record.problems.append(f"{len(left)} children outlived the killed harmony_serve")
        for child in left:  # the drill cleans up what Harmony left behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
    stack.start_harmony()
    window[1] = time.monotonic() + 1.0
    if list(Path(tempfile.gettempdir()).glob(f"harmony-metrics-{pid}-*")):
        record.problems.append(f"the metrics folder of the killed harmony_serve {pid} is left")
    deadline = time.monotonic() + 10.0  # a start that found the port taken died in seconds
    while time.monotonic() < deadline and stack.harmony.poll() is None:  # type: ignore[union-attr]
        time.sleep(0.5)  # sampling the process for the watch period
    if stack.harmony.poll() is not None:  # type: ignore[union-attr]
        record.problems.append(f"harmony_serve exited {stack.harmony.returncode} after ready")


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# Real peers' faults, one each round after slskd's own (issue 17, 22): an enqueue that takes
# effect but answers 500, one answered after the client's timeout, a file delivered at the
# wrong size, a ban.
PEER_FAULTS = (
    ("enqueue", {"fault": "error", "times": 2}, "enqueue took effect but answered 500 (x2)"),
    ("enqueue", {"fault": "slow", "times": 2, "seconds": 8}, "enqueue answered after 8 s (x2)"),
    ("enqueue", {"fault": "wrong_size", "times": 2}, "file delivered at the wrong size (x2)"),
    ("ban", {"times": 1}, "search refused: banned"),
)


def peer_fault(stack: Stack, record: Record, n: int) -> None:
    action, body, label = PEER_FAULTS[n % len(PEER_FAULTS)]
    stack.control(action, body)
    record.faults.append(label)


def slskd_fault(stack: Stack, record: Record, n: int) -> None:
    fault = n % 3
    if fault == 0:
        stack.control("outage", {"seconds": 8, "status": 503})
        record.faults.append("slskd 503 for 8 s")
    elif fault == 1:
        stack.control("logged-in", {"value": False})
        record.faults.append("slskd logged out for 8 s")
        threading.Timer(8.0, stack.control, args=("logged-in", {"value": True})).start()
    else:
        stack.control("restart")
        record.faults.append("slskd restart (transfers errored, requeued)")


def chaos(stack: Stack, record: Record, *, kills: int, load_done: threading.Event) -> None:
    rng = random.Random(3)
    rounds = faults = peer_faults = crashes = 0
    deadline = time.monotonic() + CHAOS_MAX_S
    while (len(record.kills) < kills or not load_done.is_set()) and time.monotonic() < deadline:
        time.sleep(KILL_INTERVAL_S)  # the drill's own pace between two faults
        rounds += 1
        # Mostly workers in the middle of a task; twice one waiting for a task, which can
        # leave the cluster's queue locked until the watchdog restarts the cluster.
        kill_one_worker(stack, record, rng, idle=rounds in IDLE_KILL_ROUNDS)
        if rounds % 4 == 2 and faults < 4:
            slskd_fault(stack, record, faults)
            faults += 1
        if rounds % 4 == 0 and peer_faults < len(PEER_FAULTS):
            peer_fault(stack, record, peer_faults)
            peer_faults += 1
        if crashes == 0 and len(record.kills) >= kills // 2:
            crash_and_restart_after_downtime(stack, record)
            crashes += 1
        if crashes == 1 and len(record.kills) >= kills * 3 // 4:
            kill_serve_alone(stack, record)
            crashes += 1


# -- invariants ------------------------------------------------------------------------------
def query(db: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def execute(db: Path, sql: str) -> None:
    """One write while Harmony is down (the downtime case)."""
    connection = sqlite3.connect(db, timeout=30)
    try:
        with connection:
            connection.execute(sql)
    finally:
        connection.close()


def unfinished(db: Path) -> int:
    marks = ",".join(f"'{state}'" for state in TERMINAL)
    return query(db, f"SELECT count(*) FROM downloads_job WHERE state NOT IN ({marks})")[0][0]


def check_jobs(db: Path) -> tuple[list[str], dict[str, int]]:
    problems = []
    jobs = query(db, "SELECT id, state, dead_reason, library_file_id, label FROM downloads_job")
    done_sql = "SELECT job_id, count(*) FROM downloads_jobevent WHERE to_state = 'done'"
    done_events = dict(query(db, f"{done_sql} GROUP BY job_id"))
    states: dict[str, int] = {}
    done_labels: dict[str, int] = {}
    for job_id, state, reason, file_id, label in jobs:
        states[state] = states.get(state, 0) + 1
        if state not in ("done", "dead"):
            problems.append(f"job {job_id} ({label}) ended {state}")
        if state == "dead" and not reason:
            problems.append(f"job {job_id} is dead without a reason")
        if state == "done":
            done_labels[label] = done_labels.get(label, 0) + 1
            if done_events.get(job_id, 0) != 1:
                problems.append(f"job {job_id} reached done {done_events.get(job_id, 0)} times")
            if file_id is None:
                problems.append(f"job {job_id} is done without a library file")
    problems += [f"{label} was done by {n} jobs" for label, n in done_labels.items() if n > 1]
    return problems, states


def check_unavailable(db: Path, job_id: int | None) -> list[str]:
    if job_id is None:
        return ["the unavailable track could not be submitted"]
    (state, reason), *_ = query(
        db, f"SELECT state, dead_reason FROM downloads_job WHERE id = {job_id}"
    )
    if state != "dead" or not reason:
        return [f"job {job_id} for a track nobody shares ended {state} {reason!r}, not dead"]
    return []


def check_files(root: Path, db: Path, music: Path, downloads: Path) -> tuple[list[str], int]:
    import hashlib

    import mutagen

    problems = []
    rows = query(db, "SELECT id, path FROM library_libraryfile WHERE state = 'present'")
    known = {(music / path).resolve(): file_id for file_id, path in rows}
    for path in known:
        if not path.is_file():
            problems.append(f"library file {path} is missing")
        if not path.is_relative_to(music.resolve()):
            problems.append(f"library file {path} is outside MUSIC_DIR")
    on_disk = [p for p in music.rglob("*") if p.is_file() and p.suffix != ".m3u8"]
    hashes: dict[str, Path] = {}
    for path in on_disk:
        if path.resolve() not in known:
            problems.append(f"{path} is in MUSIC_DIR without a library row")
        audio = mutagen.File(path)
        if audio is None or not 1.5 <= audio.info.length <= 2.5:
            problems.append(f"{path} does not parse as the 2 s FLAC it should be")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in hashes:
            problems.append(f"{path} duplicates {hashes[digest]}")
        hashes[digest] = path
    for folder in (music, downloads):
        problems += [f"temporary file left: {p}" for p in folder.rglob(".harmony-tmp-*")]
    allowed = (music, downloads, root / "audio-cache")
    for path in root.rglob("*.flac"):
        if not any(path.is_relative_to(folder) for folder in allowed):
            problems.append(f"audio file outside MUSIC_DIR and DOWNLOADS_DIR: {path}")
    return problems, len(on_disk)


def orphan_files(downloads: Path) -> list[Path]:
    """Audio left in DOWNLOADS_DIR outside quarantine and recycle: downloads nobody imported."""
    kept = (downloads / ".quarantine", downloads / ".recycle")
    return [p for p in downloads.rglob("*.flac") if not any(p.is_relative_to(k) for k in kept)]


def check_searches_deleted(stack: Stack) -> list[str]:
    status, stats = call("GET", f"{stack.slskd_url}/__control/stats")
    if status != 200 or stats.get("searches"):
        return [f"slskd still holds {stats and stats.get('searches')} searches (not deleted)"]
    return []


# -- imports and a full disk -----------------------------------------------------------------
def drop_import(stack: Stack, raw_name: bytes, *, code: int) -> Path:
    """A real, tagged 2 s FLAC under `raw_name` (bytes: any encoding) in the import folder."""
    from tests.audio import cached_audio

    folder = stack.downloads_dir / "import"
    path = cached_audio(
        stack.root / "audio-cache", folder / f"drop-{code}.flac", "flac",
        duration_s=2.0, frequency_hz=5000.0 + code, noise=0.3,
        tags={"title": f"Imported {code}", "artist": "Drill Importer", "album": "Drops"},
    )  # fmt: skip
    target = os.path.join(os.fsencode(folder), raw_name)
    os.rename(os.fsencode(path), target)
    return Path(os.fsdecode(target))


def run_import(stack: Stack) -> str:
    argv = [sys.executable, "manage.py", "harmony_import", "--settle", "0"]
    result = subprocess.run(argv, cwd=REPO, env=stack.harmony_env(), capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    return result.stdout + result.stderr


def check_latin1_import(stack: Stack, db: Path) -> list[str]:
    rows = query(db, "SELECT source FROM library_libraryfile WHERE source LIKE '%Bj%F6rk%'")
    if len(rows) != 1:
        return [f"the Latin-1 import name was not filed under a reversible name ({rows})"]
    for path in ("/api/v1/library/files", "/api/v1/activity"):
        status, _ = stack.api("GET", path)
        if status != 200:
            return [f"{path} answered {status} after the Latin-1 import"]
    return []


def full_disk(stack: Stack, record: Record, db: Path, track: int) -> None:
    """Restart with a free-space floor above the disk's free space: a new download and an
    import wait and readiness fails on `disk`; then space "returns" and both finish."""
    stack.stop_harmony()
    stack.extra_env["DISK_MIN_FREE_MB"] = FULL_DISK_MB
    stack.start_harmony(probe="live")
    status, body = stack.api("POST", "/api/v1/downloads", catalogue_track(track))
    job = int(body["job"]["id"]) if status == 201 else None
    paused = f"SELECT count(*) FROM downloads_jobevent WHERE job_id = {job} AND reason = 'disk_low'"
    try:
        wait_for(lambda: job and query(db, paused)[0][0], timeout=120.0,
                 what="the download to wait for disk space")  # fmt: skip
    except StackError as exc:
        record.problems.append(f"full disk: {exc}")
    status, body = stack.api("GET", "/api/health/ready")
    if status != 503 or "disk" not in (body or {}).get("failing", []):
        record.problems.append(f"full disk: readiness answered {status} {body}")
    dropped = drop_import(stack, b"disk full drop.flac", code=2)
    run_import(stack)
    if not dropped.exists():
        record.problems.append("full disk: an import ran below the free-space floor")
    stack.stop_harmony()
    del stack.extra_env["DISK_MIN_FREE_MB"]
    stack.start_harmony()
    run_import(stack)
    if dropped.exists():
        record.problems.append("the import waiting for disk space did not run once it returned")


# -- the run ---------------------------------------------------------------------------------
def create_operator(stack: Stack) -> None:
    env = {**stack.harmony_env(), "HARMONY_NEW_PASSWORD": PASSWORD}
    argv = [sys.executable, "manage.py", "harmony_user", "add", "drill", "--role", "operator"]
    subprocess.run(argv, cwd=REPO, env=env, check=True, capture_output=True, timeout=60)


def run(root: Path, *, tracks: int, kills: int) -> int:
    record = Record()
    began = time.monotonic()
    # One more track than the load submits: the full-disk case downloads it.
    with Stack(root, tracks=tracks + 1, extra_env=dict(DRILL_ENV)) as stack:
        stack.start_harmony()
        create_operator(stack)
        drop_import(stack, LATIN1_NAME, code=1)
        run_import(stack)
        ui = UiSession(stack.url)
        ui.login("drill", PASSWORD)
        say(f"Harmony ready at {stack.url}; {tracks} tracks, at least {kills} worker kills")
        stop, load_done = threading.Event(), threading.Event()
        submitter = threading.Thread(
            target=lambda: (submit_tracks(stack, record, tracks, stop), load_done.set())
        )
        reader = threading.Thread(target=read_forever, args=(stack, record, ui, stop))
        submitter.start()
        reader.start()
        db = stack.config_dir / "harmony.db"
        drained = True
        try:
            chaos(stack, record, kills=kills, load_done=load_done)
            say(f"chaos over after {time.monotonic() - began:.0f} s; draining")
            wait_for(lambda: unfinished(db) == 0, timeout=DRAIN_TIMEOUT_S,
                     what="every job to finish", interval=2.0)  # fmt: skip
        except StackError as exc:
            drained = False
            say(f"drain: {exc}")
        finally:
            stop.set()
            submitter.join()
            reader.join()
        record.problems += check_latin1_import(stack, db)
        if drained:
            say("the disk fills up")
            full_disk(stack, record, db, tracks)
            try:
                wait_for(lambda: unfinished(db) == 0, timeout=120.0,
                         what="the download that waited for disk space")  # fmt: skip
            except StackError as exc:
                record.problems.append(f"full disk: {exc}")
        record.problems += check_searches_deleted(stack)
        code, seconds = stack.stop_harmony(timeout=10)
        job_problems, states = check_jobs(db)
        file_problems, files = check_files(root, db, stack.music_dir, stack.downloads_dir)
        record.orphans = orphan_files(stack.downloads_dir)
        record.dead = query(db, "SELECT id, dead_reason, last_error_detail FROM downloads_job "
                                "WHERE state = 'dead'")  # fmt: skip
    problems = job_problems + file_problems + record.bad_answers() + record.problems
    problems += check_unavailable(db, record.unavailable)
    if not drained:
        problems.append(f"jobs still unfinished {DRAIN_TIMEOUT_S:.0f} s after the chaos")
    if len(record.kills) < kills:
        problems.append(f"only {len(record.kills)} of {kills} kills happened in {CHAOS_MAX_S} s")
    record.watchdog_restarts = stack.tail(lines=100_000).count("hdm.serve.cluster_restart")
    if code != 0:
        problems.append(f"harmony_serve exited {code} after SIGTERM ({seconds:.1f} s)")
    print_figures(record, states, files, problems, time.monotonic() - began)
    return 1 if problems else 0


def print_figures(record: Record, states: dict, files: int, problems: list[str], took: float):
    say("-" * 60)
    by_state = ", ".join(f"{state} {count}" for state, count in sorted(states.items()))
    say(f"jobs: {sum(states.values())} ({by_state})")
    say(f"tracks submitted: {len(record.submitted)}; duplicate submissions: {record.duplicates}")
    say(f"kills survived: {len(record.kills)} "
        f"({sum('busy' in k for k in record.kills)} workers mid-task, "
        f"{sum('idle' in k for k in record.kills)} idle workers, "
        f"{sum('all of' in k for k in record.kills)} whole-Harmony crash, "
        f"{sum('alone' in k for k in record.kills)} harmony_serve alone)")  # fmt: skip
    say(f"slskd faults: {len(record.faults)} ({'; '.join(record.faults)})")
    say(f"cluster restarts by harmony_serve's watchdog: {record.watchdog_restarts}")
    say(f"requests: {len(record.requests)}; files in MUSIC_DIR: {files}; took {took:.0f} s")
    say(f"audio left in DOWNLOADS_DIR outside quarantine/recycle: {len(record.orphans)}")
    for job_id, reason, detail in record.dead:
        say(f"dead job {job_id}: {reason} ({detail[:120]})")
    for problem in problems[:40]:
        say(f"VIOLATION: {problem}")
    say(f"invariant violations: {len(problems)}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Harmony's reliability drill.")
    parser.add_argument("--tracks", type=int, default=60)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="harmony-drill-"))
    try:
        code = run(root, tracks=args.tracks, kills=args.kills)
    except StackError as exc:
        say(f"FAILED: {exc} (logs in {root / 'logs'})")
        code, args.keep = 2, True
    if code:
        args.keep = True
        say(f"kept {root} for inspection")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
