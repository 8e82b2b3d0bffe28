"""Pytest fixtures for the fake providers (registered in tests/conftest.py).

`fake_slskd` is a started `FakeSlskd` (poll mode) writing into `tmp_path / "downloads"` — the
same directory `library_dirs` uses as DOWNLOADS_DIR — with the SLSKD_* settings pointing at it,
so `SlskdClient.from_config()` and the path mapping work unchanged. `slskd_client` is a client
for it whose backoff sleeps are recorded in `slskd_client.slept` instead of waited.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.slskd.client import SlskdClient
from tests.fakes.lrclib import FakeLrclib
from tests.fakes.slskd import FakeSlskd
from tests.fakes.spotify import FakeSpotify, fake_knobs, knobs_set

SLSKD_VIEW = "/app/downloads"


@pytest.fixture
def fake_slskd(settings, knobs, tmp_path: Path) -> Iterator[FakeSlskd]:
    downloads = tmp_path / "downloads"
    downloads.mkdir(exist_ok=True)
    fake = FakeSlskd(downloads_dir=downloads, slskd_downloads_dir=SLSKD_VIEW)
    with fake:
        knobs["SLSKD_URL"] = fake.url
        knobs["SLSKD_API_KEY"] = fake.api_key
        knobs["SLSKD_DOWNLOADS_DIR"] = SLSKD_VIEW
        settings.DOWNLOADS_DIR = downloads
        yield fake


class RecordingSlskdClient(SlskdClient):
    """A client whose waits are recorded, not slept: tests stay fast and deterministic."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.slept: list[float] = []
        super().__init__(*args, sleep=self.slept.append, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def slskd_client(fake_slskd: FakeSlskd) -> Iterator[RecordingSlskdClient]:
    client = RecordingSlskdClient(fake_slskd.url, fake_slskd.api_key, read_timeout=5.0)
    yield client
    client.close()


@pytest.fixture
def fake_spotify() -> Iterator[FakeSpotify]:
    """A started fake Spotify with the default catalogue (ids in `fake_spotify.ids`)."""
    with FakeSpotify() as server:
        yield server


@pytest.fixture
def spotify_env(fake_spotify: FakeSpotify) -> Iterator[FakeSpotify]:
    """Point Harmony's SPOTIFY_* knobs at `fake_spotify` (mode auto, client id + secret).

    Tests change the mode with `knobs_set(SPOTIFY_MODE="pro")`.
    """
    with knobs_set(**fake_knobs(fake_spotify)):
        yield fake_spotify


@pytest.fixture
def fake_lrclib() -> Iterator[FakeLrclib]:
    """A started fake LRCLIB with no records (add them with `fake_lrclib.add(...)`)."""
    with FakeLrclib() as server:
        yield server
