"""The test audio generator itself: every format is real, parseable audio with the asked shape."""

from __future__ import annotations

import mutagen
import pytest

from tests.audio import EXTENSIONS, cached_audio, make_audio


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_every_format_is_real_audio(tmp_path, fmt):
    path = make_audio(tmp_path / f"x.{EXTENSIONS[fmt]}", fmt, duration_s=0.5, tags={"title": "T"})
    audio = mutagen.File(path)
    assert audio is not None
    assert audio.info.length == pytest.approx(0.5, abs=0.06)


def test_cache_encodes_once_and_copies(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    first = cached_audio(cache, tmp_path / "a.flac", "flac", duration_s=0.3)
    second = cached_audio(cache, tmp_path / "b.flac", "flac", duration_s=0.3)
    assert first.read_bytes() == second.read_bytes()
    assert len(list(cache.iterdir())) == 1


def test_frequency_changes_the_audio(tmp_path):
    a = make_audio(tmp_path / "a.flac", "flac", duration_s=0.2)
    b = make_audio(tmp_path / "b.flac", "flac", duration_s=0.2, frequency_hz=880.0)
    assert a.read_bytes() != b.read_bytes()
