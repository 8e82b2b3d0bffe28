"""Drill: a real django-q2 cluster whose worker is SIGKILLed mid-download still completes every
job exactly once (slow: a separate `qcluster` process against the fake slskd)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from downloads import submit
from downloads.jobs import sweeper
from downloads.models import Job, JobState
from library.models import LibraryFile
from tests.audio import cached_audio
from tests.downloads.conftest import REPO, WORDS, child_env, make_meta
from tests.fakes.slskd_data import peer_file, peer_response

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TRACKS = (1, 2, 3)
CLUSTER_KNOBS = {
    "HDM_WORKERS": "2",
    "HDM_TASK_TIMEOUT_S": "30",
    "HDM_TASK_RETRY_S": "60",
    "HDM_LEASE_S": "4",
    "HDM_POLL_INTERVAL_S": "0.05",
    "HDM_SEARCH_MIN_GAP_S": "0",
    "HDM_BACKOFF_PEER_S": "0",
    "HDM_MAX_LOST_RUNS": "3",
}


def _offer(fake, cache: Path, tmp: Path, n: int) -> None:
    content = cached_audio(cache, tmp / f"src-{n}.flac", "flac", duration_s=2.0).read_bytes()
    filename = f"@@share\\Music\\The Testers\\Test Album\\{n:02d} - {make_meta(n).title}.flac"
    fake.set_content("peer", filename, content)
    file = peer_file(
        filename, len(content), bit_rate=100, bit_depth=16, sample_rate=44100, length=2
    )
    fake.script_search(WORDS[n], responses=[peer_response("peer", [file])])


def _start_cluster(
    fake, library_dirs, *, env: dict[str, str] | None = None, prelude: str = ""
) -> subprocess.Popen:
    """A real `qcluster` process on the test database; `prelude` runs first in it (and so in
    every worker it forks)."""
    env = child_env() | CLUSTER_KNOBS | (env or {})
    env |= {
        "SLSKD_URL": fake.url,
        "SLSKD_API_KEY": fake.api_key,
        "SLSKD_DOWNLOADS_DIR": fake.slskd_downloads_dir,
        "DOWNLOADS_DIR": str(library_dirs[0]),
        "MUSIC_DIR": str(library_dirs[1]),
    }
    code = (
        "import tests.downloads.child\n"
        f"{prelude}\n"
        "from django.core.management import call_command\n"
        "call_command('qcluster')\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _worker_pid(job: Job) -> int | None:
    """The pid in the claim token `host:pid:token` of a job claimed right now."""
    parts = job.claimed_by.split(":")
    return int(parts[-2]) if len(parts) >= 3 else None


def test_sigkilled_workers_mid_download_still_complete_each_job_once(
    hdm, settings, library_dirs, fake_slskd, audio_cache, tmp_path
):
    hdm["HDM_LEASE_S"] = 4.0
    for n in TRACKS:
        _offer(fake_slskd, audio_cache, tmp_path, n)
    # The first transfer polls hang long enough for the test to kill the claiming worker.
    fake_slskd.delay("GET", r"/api/v0/transfers/downloads/[^/]+/[^/]+", 6.0, times=2)
    cluster = _start_cluster(fake_slskd, library_dirs)
    killed: set[int] = set()
    try:
        jobs = [submit.submit_wanted(make_meta(n), kind="manual", actor="t").job for n in TRACKS]
        deadline = time.monotonic() + 50
        while time.monotonic() < deadline:
            states = {j.state for j in Job.objects.filter(pk__in=[j.pk for j in jobs])}
            if states == {JobState.DONE}:
                break
            for job in Job.objects.filter(state=JobState.DOWNLOADING).exclude(claimed_by=""):
                pid = _worker_pid(job)
                if pid and pid not in killed and len(killed) < 2:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
            sweeper.sweep_jobs()  # what the hdm-sweep schedule does every minute
            time.sleep(0.3)
    finally:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)
    final = list(Job.objects.filter(pk__in=[j.pk for j in jobs]))
    assert {j.state for j in final} == {JobState.DONE}, [
        (j.pk, j.state, j.last_error_code, j.last_error_detail) for j in final
    ]
    assert killed, "no worker was caught mid-download"
    assert LibraryFile.objects.count() == len(TRACKS)
    assert len(list(library_dirs[1].rglob("*.flac"))) == len(TRACKS)


# Runs in the cluster before it forks its workers: the mover's step boundaries
# (`library.moving._checkpoint`) pause the worker for the drill's SIGKILL — before the link
# ("synced"), between link and unlink ("placed") and after the directory fsync ("dir_synced"),
# in turn — until HARMONY_DRILL_KILLS workers have been caught. A marker file names each one.
PAUSE_MID_MOVE = """
import os, signal
from library import moving

_marks, _limit = os.environ["HARMONY_DRILL_DIR"], int(os.environ["HARMONY_DRILL_KILLS"])
_steps = ("synced", "placed", "dir_synced")

def _pause_for_the_kill(step):
    caught = len(os.listdir(_marks))
    if caught < _limit and step == _steps[caught % len(_steps)]:
        open(os.path.join(_marks, f"{caught:03d}-{step}-{os.getpid()}"), "x").close()
        while True:
            signal.pause()  # until the drill's SIGKILL

moving._checkpoint = _pause_for_the_kill
"""
MOVE_KILLS = 21


def _kill_marked(marks: Path, killed: set[str], stop: threading.Event) -> None:
    """SIGKILL every worker that left a marker, as soon as it appears."""
    while not stop.wait(0.02):  # a polling step of the marker folder
        for mark in sorted(set(os.listdir(marks)) - killed):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(mark.rsplit("-", 1)[1]), signal.SIGKILL)
            killed.add(mark)


MOVE_TRACKS = tuple(range(1, 15))


def test_sigkilled_workers_mid_move_leave_every_file_once_and_whole(
    hdm, settings, library_dirs, fake_slskd, audio_cache, tmp_path
):
    """Workers killed at every step of the atomic move, 21 times: each job still ends done
    exactly once, every file is in MUSIC_DIR once and whole, nothing is left behind."""
    from library.moving import TEMP_PREFIX
    from library.tagging import read_audio

    hdm["HDM_LEASE_S"] = 2.0
    marks = tmp_path / "marks"
    marks.mkdir()
    for n in MOVE_TRACKS:
        _offer(fake_slskd, audio_cache, tmp_path, n)
    env = {
        "HDM_LEASE_S": "2",
        "HDM_MAX_LOST_RUNS": "40",
        "HDM_MAX_POSTPROCESS": "4",
        "HARMONY_DRILL_DIR": str(marks),
        "HARMONY_DRILL_KILLS": str(MOVE_KILLS),
    }
    cluster = _start_cluster(fake_slskd, library_dirs, env=env, prelude=PAUSE_MID_MOVE)
    killed: set[str] = set()
    stop = threading.Event()
    # The killer runs apart from the database work below: a paused worker holds the SQLite
    # write lock (the move is the last step of the ingest transaction) until it is killed.
    killer = threading.Thread(target=_kill_marked, args=(marks, killed, stop), daemon=True)
    killer.start()
    try:
        ids = [
            submit.submit_wanted(make_meta(n), kind="manual", actor="t").job.pk for n in MOVE_TRACKS
        ]
        deadline = time.monotonic() + 150  # a deadline, not a timing: loaded machines are slow
        while time.monotonic() < deadline:
            if not Job.objects.filter(pk__in=ids).exclude(state=JobState.DONE).exists():
                break
            sweeper.sweep_jobs()  # releases the dead workers' leases, sends due jobs
            time.sleep(0.1)  # a polling step; the deadline decides
    finally:
        stop.set()
        killer.join(timeout=5)
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)
    final = list(Job.objects.filter(pk__in=ids))
    assert {j.state for j in final} == {JobState.DONE}, [
        (j.pk, j.state, j.lost_runs, j.last_error_code) for j in final
    ]
    assert len(killed) >= 20, f"only {len(killed)} workers were caught mid-move"
    assert {m.split("-")[1] for m in killed} == {"synced", "placed", "dir_synced"}
    # Exactly once: one `done` per job, one library row per job, one file per row.
    for job in final:
        assert job.events.filter(to_state=JobState.DONE).count() == 1
    assert LibraryFile.objects.count() == len(MOVE_TRACKS)
    assert len({j.library_file_id for j in final}) == len(MOVE_TRACKS)
    music = library_dirs[1]
    files = sorted(p for p in music.rglob("*") if p.is_file())
    assert len(files) == len(MOVE_TRACKS), files
    for path in files:
        assert read_audio(path).duration_s > 1.5  # whole, not half-written
    assert not list(music.rglob(f"{TEMP_PREFIX}*"))
    # Nothing lost or left behind in DOWNLOADS_DIR (no source kept, nothing quarantined).
    assert not list(library_dirs[0].rglob("*.flac"))


# Runs in the cluster before it forks: workers pause for the drill's SIGKILL at the two points
# where a write and its record can come apart — right after slskd accepted the enqueue POST
# (before the transfer id is recorded) and right after the tagged file is recorded (before the
# move) — in turn, until HARMONY_DRILL_KILLS workers have been caught.
PAUSE_AT_RECORDS = """
import os, signal
from downloads.stages import ingest
from providers.slskd.client import SlskdClient

_marks, _limit = os.environ["HARMONY_DRILL_DIR"], int(os.environ["HARMONY_DRILL_KILLS"])

def _pause(point):
    caught = len(os.listdir(_marks))
    if caught < _limit and point == ("enqueued", "tagged")[caught % 2]:
        open(os.path.join(_marks, f"{caught:03d}-{point}-{os.getpid()}"), "x").close()
        while True:
            signal.pause()  # until the drill's SIGKILL

_enqueue, _record_tagged = SlskdClient.enqueue_download, ingest.record_tagged

def _enqueue_then_pause(self, username, files):
    result = _enqueue(self, username, files)
    _pause("enqueued")
    return result

def _record_then_pause(job, tagged):
    _record_tagged(job, tagged)
    _pause("tagged")

SlskdClient.enqueue_download = _enqueue_then_pause
ingest.record_tagged = _record_then_pause
"""
RECORD_KILLS = 6
RECORD_TRACKS = tuple(range(1, 7))


def test_kills_between_a_write_and_its_record_lose_nothing_and_fetch_nothing_twice(
    hdm, settings, library_dirs, fake_slskd, audio_cache, tmp_path
):
    """Workers killed after slskd accepted an enqueue and after tagging: every job still ends
    done once, each transfer was adopted (never enqueued twice) and no good file quarantined."""
    hdm["HDM_LEASE_S"] = 2.0
    marks = tmp_path / "marks"
    marks.mkdir()
    for n in RECORD_TRACKS:
        _offer(fake_slskd, audio_cache, tmp_path, n)
    env = {
        "HDM_LEASE_S": "2",
        "HDM_MAX_LOST_RUNS": "10",
        "HARMONY_DRILL_DIR": str(marks),
        "HARMONY_DRILL_KILLS": str(RECORD_KILLS),
    }
    cluster = _start_cluster(fake_slskd, library_dirs, env=env, prelude=PAUSE_AT_RECORDS)
    killed: set[str] = set()
    stop = threading.Event()
    killer = threading.Thread(target=_kill_marked, args=(marks, killed, stop), daemon=True)
    killer.start()
    try:
        ids = [
            submit.submit_wanted(make_meta(n), kind="manual", actor="t").job.pk
            for n in RECORD_TRACKS
        ]
        deadline = time.monotonic() + 150  # a deadline, not a timing: loaded machines are slow
        while time.monotonic() < deadline:
            if not Job.objects.filter(pk__in=ids).exclude(state=JobState.DONE).exists():
                break
            sweeper.sweep_jobs()  # releases the dead workers' leases, sends due jobs
            time.sleep(0.1)  # a polling step; the deadline decides
    finally:
        stop.set()
        killer.join(timeout=5)
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)
    final = list(Job.objects.filter(pk__in=ids))
    assert {j.state for j in final} == {JobState.DONE}, [
        (j.pk, j.state, j.dead_reason, j.last_error_detail) for j in final
    ]
    assert {m.split("-")[1] for m in killed} == {"enqueued", "tagged"}, killed
    for job in final:
        assert job.events.filter(to_state=JobState.DONE).count() == 1
    # Each file was enqueued in slskd once: the killed enqueues were adopted, not repeated.
    assert len(fake_slskd.transfers) == len(RECORD_TRACKS)
    assert LibraryFile.objects.count() == len(RECORD_TRACKS)
    assert not list(library_dirs[0].rglob("*.flac"))  # nothing quarantined or left behind


REDIS_URL = os.environ.get("HARMONY_TEST_REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL, reason="HARMONY_TEST_REDIS_URL is not set")
def test_the_pipeline_runs_on_the_redis_broker(
    hdm, settings, library_dirs, fake_slskd, audio_cache, tmp_path, monkeypatch
):
    """The same code on django-q2's Redis broker (HARMONY_BROKER_URL): tasks travel through
    Redis, job rows, leases and budgets stay in the database."""
    import redis
    from django_q.conf import Conf

    # This process enqueues through Redis too (django-q2 reads its broker settings at import).
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    from django_q.models import OrmQ

    queue = redis.from_url(REDIS_URL)
    key = f"django_q:{Conf.CLUSTER_NAME}:q"
    queue.delete(key)  # no task of an older run
    for n in TRACKS:
        _offer(fake_slskd, audio_cache, tmp_path, n)
    ids = [submit.submit_wanted(make_meta(n), kind="manual", actor="t").job.pk for n in TRACKS]
    assert queue.llen(key) == len(TRACKS) and not OrmQ.objects.exists()  # sent through Redis
    cluster = _start_cluster(fake_slskd, library_dirs, env={"HARMONY_BROKER_URL": REDIS_URL})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not Job.objects.filter(pk__in=ids).exclude(state=JobState.DONE).exists():
                break
            sweeper.sweep_jobs()
            time.sleep(0.1)  # a polling step; the deadline decides
    finally:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)
    final = list(Job.objects.filter(pk__in=ids))
    assert {j.state for j in final} == {JobState.DONE}, [(j.pk, j.state) for j in final]
    assert LibraryFile.objects.count() == len(TRACKS)
    assert not OrmQ.objects.exists()  # nothing went through the ORM queue
