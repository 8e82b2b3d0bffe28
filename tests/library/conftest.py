"""Fixtures for tests that need real audio files.

Other test packages reuse them: `from tests.library.conftest import audio_cache, audio_file`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.audio import EXTENSIONS, cached_audio

AudioFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def audio_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory of encoded templates shared by the whole session (per xdist worker)."""
    return tmp_path_factory.mktemp("audio-cache")


@pytest.fixture
def audio_file(audio_cache: Path, tmp_path: Path) -> AudioFactory:
    """Factory: `audio_file("flac", name="a.flac", directory=..., duration_s=2, tags={...})`.

    Returns a fresh copy the test may modify; identical parameters are encoded once per session.
    """
    counter = iter(range(1_000_000))

    def make(
        fmt: str = "flac", *, name: str | None = None, directory: Path | None = None, **params
    ) -> Path:
        folder = directory or tmp_path
        filename = name or f"track-{next(counter)}.{EXTENSIONS[fmt]}"
        return cached_audio(audio_cache, folder / filename, fmt, **params)

    return make
