"""UI test fixtures: a logged-in client per role, demo jobs, and the browser switch.

Browser tests (marker `browser`) need Playwright's Python package and a Chromium binary
(`HARMONY_CHROMIUM`, default /usr/bin/chromium); without them they skip, unless
`HARMONY_REQUIRE_BROWSER=1` (CI) turns the skip into a failure. Never download a browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts import services
from downloads.models import Candidate, Job, JobEvent, JobState
from tests.audio import cached_audio
from tests.fakes.slskd import FakeSlskd
from tests.fakes.slskd_data import peer_file, peer_response
from tests.fakes.spotify import FakeSpotify
from tests.ui.browser import CHROMIUM_ARGS, Session
from tests.ui.live import LiveHarmony

PASSWORD = "correct-horse-battery-9"
CHROMIUM = os.environ.get("HARMONY_CHROMIUM", "/usr/bin/chromium")
TRACK_SECONDS = 3


@pytest.fixture
def login(db):
    """`login("operator")` → a Client signed in as a fresh user holding that role."""

    def make(role: str) -> Client:
        user = services.create_user(username=role, password=PASSWORD, role=role, actor="test")
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def viewer(login) -> Client:
    return login("viewer")


@pytest.fixture
def operator(login) -> Client:
    return login("operator")


@pytest.fixture
def admin(login) -> Client:
    return login("admin")


def make_job(
    state: str = JobState.QUEUED, label: str = "The Testers — Song Alpha", **fields
) -> Job:
    """A track job in `state`, with the fields that state implies (final: no live key)."""
    final = state in (JobState.DONE, JobState.CANCELLED, JobState.DEAD)
    key = fields.pop("wanted_key", f"wanted:{label}:{Job.objects.count()}")
    job = Job.objects.create(
        state=state,
        label=label,
        wanted={"title": label, "artists": ["The Testers"]},
        wanted_key=key,
        live_key=None if final else key,
        **fields,
    )
    JobEvent.objects.create(job=job, from_state="", to_state=JobState.QUEUED, reason="submitted")
    return job


def make_candidate(job: Job, rank: int | None = 1, **fields) -> Candidate:
    values = {
        "key": f"k{Candidate.objects.count()}",
        "username": "peer1",
        "filename": "Music\\The Testers\\01 Song Alpha.flac",
        "size": 1000,
        "attributes": {"extension": "flac", "bit_rate": 900, "bit_depth": None},
        "score": {"score": 0.9, "format": {"class": "flac"}},
        "rank": rank,
        **fields,
    }
    return Candidate.objects.create(job=job, **values)


def browser_available() -> str:
    """Why the browser tests cannot run here, or '' when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (set HARMONY_CHROMIUM)"
    return ""


@pytest.fixture(scope="session")
def require_browser() -> str:
    """The Chromium path; skips without a browser, fails instead under HARMONY_REQUIRE_BROWSER=1."""
    reason = browser_available()
    if reason:
        if os.environ.get("HARMONY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required (HARMONY_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def world(require_browser, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Fakes + a live Harmony seeded with demo data, shared by a module's tests (a module with
    another setup defines its own `world`)."""
    root = tmp_path_factory.mktemp("live-harmony")
    (root / "downloads").mkdir()
    with (
        FakeSlskd(downloads_dir=root / "downloads", mode="auto", auto_interval=0.4) as slskd,
        FakeSpotify() as spotify,
    ):
        track_id = _offer_a_track(slskd, spotify, root)
        with LiveHarmony(root, slskd=slskd, spotify=spotify) as harmony:
            yield {
                "harmony": harmony,
                "slskd": slskd,
                "track_id": track_id,
                "chromium": require_browser,
            }


def _offer_a_track(slskd: FakeSlskd, spotify: FakeSpotify, root: Path) -> str:
    """A Spotify track ("The Testers — Song Alpha", 3 s) that one peer shares as real FLAC."""
    catalogue = spotify.catalogue
    artist = catalogue.add_artist("The Testers")
    album = catalogue.add_album(
        "Test Album", [artist], release_date="2001", precision="year", track_names=["Song Alpha"]
    )
    track_id = catalogue.albums[album]["_track_ids"][0]
    catalogue.tracks[track_id]["duration_ms"] = TRACK_SECONDS * 1000
    audio = cached_audio(root / "cache", root / "src.flac", "flac", duration_s=TRACK_SECONDS)
    content = audio.read_bytes()
    filename = "@@share\\Music\\The Testers\\Test Album (2001)\\01 - Song Alpha.flac"
    slskd.set_content("good_peer", filename, content)
    kbps = max(1, len(content) * 8 // TRACK_SECONDS // 1000)
    file = peer_file(
        filename, len(content), bit_rate=kbps, bit_depth=16, sample_rate=44100, length=TRACK_SECONDS
    )
    slskd.script_search("song alpha", responses=[peer_response("good_peer", [file])])
    slskd.script_transfer("good_peer", filename, progress_polls=20, remote_queue_polls=1)
    return track_id


@pytest.fixture(scope="module")
def browser(world) -> Iterator[Any]:
    """Headless Chromium for a browser-test module; the module's `world` fixture says which."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=world["chromium"], args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def session(browser, world) -> Iterator[Any]:
    """`session("admin")` → a `Session` signed in through the login form of `world`'s Harmony."""
    sessions: list[Session] = []

    def open_as(username: str) -> Session:
        opened = Session(browser, world["harmony"].url).login(username)
        sessions.append(opened)
        return opened

    yield open_as
    for opened in sessions:
        opened.close()
