"""Drill: a real django-q2 cluster whose worker is SIGKILLed mid-download still completes every
job exactly once (slow: a separate `qcluster` process against the fake slskd)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from downloads import recovery, services
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


def _start_cluster(fake, library_dirs) -> subprocess.Popen:
    env = child_env() | CLUSTER_KNOBS
    env |= {
        "SLSKD_URL": fake.url,
        "SLSKD_API_KEY": fake.api_key,
        "SLSKD_DOWNLOADS_DIR": fake.slskd_downloads_dir,
        "DOWNLOADS_DIR": str(library_dirs[0]),
        "MUSIC_DIR": str(library_dirs[1]),
    }
    code = (
        "import tests.downloads.child\n"
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
    settings.HDM = {**hdm, "HDM_LEASE_S": 4.0}
    for n in TRACKS:
        _offer(fake_slskd, audio_cache, tmp_path, n)
    # The first transfer polls hang long enough for the test to kill the claiming worker.
    fake_slskd.delay("GET", r"/api/v0/transfers/downloads/[^/]+/[^/]+", 6.0, times=2)
    cluster = _start_cluster(fake_slskd, library_dirs)
    killed: set[int] = set()
    try:
        jobs = [services.submit_wanted(make_meta(n), kind="manual", actor="t").job for n in TRACKS]
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
            recovery.sweep_jobs()  # what the hdm-sweep schedule does every minute
            time.sleep(0.3)
    finally:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)
    final = list(Job.objects.filter(pk__in=[j.pk for j in jobs]))
    assert {j.state for j in final} == {JobState.DONE}, [
        (j.pk, j.state, j.last_error_code) for j in final
    ]
    assert killed, "no worker was caught mid-download"
    assert LibraryFile.objects.count() == len(TRACKS)
    assert len(list(library_dirs[1].rglob("*.flac"))) == len(TRACKS)
