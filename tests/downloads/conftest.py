"""Fixtures for the HDM tests: fast knobs, wanted tracks, and helpers for other processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from providers.types import TrackMeta
from tests.audio import cached_audio
from tests.fakes.slskd_data import peer_file, peer_response
from tests.library.conftest import audio_cache  # noqa: F401  (real audio for the pipeline)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def hdm(settings):
    """The Downloads knobs, made fast for tests; tweak `settings.HDM[...]` further per test."""
    settings.HDM = {
        **settings.HDM,
        "HDM_POLL_INTERVAL_S": 0.02,
        "HDM_SEARCH_MIN_GAP_S": 0.0,
        "HDM_BACKOFF_PEER_S": 0.0,
        "HDM_BACKOFF_VERIFY_S": 0.0,
        "HDM_SLSKD_RETRY_GRACE_S": 0.1,
        "HDM_FILE_APPEAR_TIMEOUT_S": 0.5,
    }
    return settings.HDM


WORDS = (
    "zero",
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
)


def make_meta(n: int = 1, **overrides) -> TrackMeta:
    """Wanted track n: "The Testers — Song <word n>" on "Test Album", 2 s long."""
    values = {
        "title": f"Song {WORDS[n % len(WORDS)].title()}",
        "artists": ("The Testers",),
        "album": "Test Album",
        "duration_ms": 2000,
        "spotify_track_id": f"sp{n:020d}",
    }
    values.update(overrides)
    return TrackMeta(**values)


def settle(*jobs, timeout: float = 30.0) -> list:
    """Drive sync-mode jobs until none of them is live: send each job whose wait is over, as
    the `hdm-dispatch` schedule does in a cluster. Polls with a deadline; returns the jobs
    reloaded."""
    from downloads.jobs import dispatch
    from downloads.models import LIVE_STATES, Job

    ids = [job.pk for job in jobs]
    deadline = time.monotonic() + timeout
    while Job.objects.filter(pk__in=ids, state__in=LIVE_STATES).exists():
        assert time.monotonic() < deadline, list(Job.objects.filter(pk__in=ids))
        if not dispatch.dispatch_due():
            time.sleep(0.005)  # a poll step; the deadline above decides, not this pause
    return list(Job.objects.filter(pk__in=ids).order_by("pk"))


def child_env() -> dict[str, str]:
    """Environment for a child Django process that must use this test's database."""
    env = dict(os.environ)
    env["HARMONY_TEST_DB_NAME"] = str(connection.settings_dict["NAME"])
    env["DJANGO_SETTINGS_MODULE"] = "harmony_site.settings"
    env["PYTHONPATH"] = str(REPO)
    return env


def run_children(code: str, count: int, *, timeout: float = 60) -> list[str]:
    """Run `code` in `count` Python processes at once (after `tests.downloads.child` set-up)."""
    prelude = "import tests.downloads.child\n"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", prelude + code],
            cwd=REPO,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err[-3000:]
        outputs.append(out)
    return outputs


FOLDER = "@@share\\Music\\The Testers\\Test Album (2001) [FLAC]"


@pytest.fixture
def world(hdm, settings, library_dirs, fake_slskd, audio_cache: Path, tmp_path: Path):  # noqa: F811
    """Sync-mode cluster + fake slskd + empty library; `world.offer(...)` scripts a peer."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    return World(fake_slskd, audio_cache, tmp_path)


class World:
    def __init__(self, fake, cache: Path, tmp_path: Path) -> None:
        self.fake, self.cache, self.tmp = fake, cache, tmp_path
        self.responses: dict[str, list] = {}

    def audio(self, n: int = 1, *, duration_s: float = 2.0) -> bytes:
        path = cached_audio(
            self.cache, self.tmp / f"src-{n}-{duration_s}.flac", "flac", duration_s=duration_s
        )
        return path.read_bytes()

    def offer(
        self,
        username: str,
        n: int = 1,
        *,
        content: bytes | None = None,
        speed: int = 1_000_000,
        free_slot: bool = True,
        **script,
    ) -> str:
        """`username` offers track n (real FLAC unless `content`); returns the remote path."""
        content = self.audio(n) if content is None else content
        query = WORDS[n]
        filename = f"{FOLDER}\\{n:02d} - {make_meta(n).title}.flac"
        self.fake.set_content(username, filename, content)
        # The test tone compresses far below real music: report a bitrate to match, or the
        # matcher rightly calls a 30 kB two-second FLAC truncated.
        file = peer_file(
            filename, len(content), bit_rate=100, bit_depth=16, sample_rate=44100, length=2
        )
        response = peer_response(
            username, [file], upload_speed=speed, has_free_upload_slot=free_slot
        )
        self.responses.setdefault(query, []).append(response)
        self.fake.script_search(query, responses=self.responses[query])
        if script:
            self.fake.script_transfer(username, filename, **script)
        return filename
