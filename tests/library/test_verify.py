"""verify_file: one test per failure code, and the happy path."""

from __future__ import annotations

import pytest

from library.quality import QualityProfile
from library.verify import FAILURE_CODES, VerificationFailed, verify_file
from providers.types import TrackMeta

PROFILE = QualityProfile()


def _wanted(seconds: float) -> TrackMeta:
    return TrackMeta(title="T", artists=("A",), duration_ms=round(seconds * 1000))


def _verify(path, **overrides):
    kwargs = {"wanted": _wanted(2.0), "expected_size": None, "profile": PROFILE, "tolerance_s": 1.0}
    return verify_file(path, **{**kwargs, **overrides})


def _code(path, **overrides) -> str:
    with pytest.raises(VerificationFailed) as caught:
        _verify(path, **overrides)
    assert caught.value.code in FAILURE_CODES
    assert caught.value.detail
    return caught.value.code


def test_good_file_passes_and_returns_its_info(audio_file):
    path = audio_file("flac", duration_s=2.0)
    info = _verify(path, expected_size=path.stat().st_size)
    assert info.format == "flac" and info.duration_s == pytest.approx(2.0, abs=0.05)


def test_unknown_wanted_duration_skips_the_duration_check(audio_file):
    assert _verify(audio_file("mp3", duration_s=2.0), wanted=None).format == "mp3"


def test_missing(tmp_path):
    assert _code(tmp_path / "nothing.flac") == "missing"


def test_size_mismatch(audio_file):
    path = audio_file("flac", duration_s=2.0)
    assert _code(path, expected_size=path.stat().st_size + 1) == "size_mismatch"


def test_unreadable(tmp_path):
    path = tmp_path / "broken.flac"
    path.write_bytes(b"fLaC" + b"\xff" * 100)
    assert _code(path) == "unreadable"


def test_not_audio_is_unreadable(tmp_path):
    path = tmp_path / "cover.mp3"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert _code(path) == "unreadable"


def test_wrong_format(audio_file):
    assert _code(audio_file("mp3", name="song.flac", duration_s=2.0)) == "wrong_format"


def test_duration_mismatch(audio_file):
    assert _code(audio_file("ogg", duration_s=1.0), wanted=_wanted(4.0)) == "duration_mismatch"


def test_below_profile(audio_file):
    path = audio_file("mp3", bitrate=128, duration_s=2.0)
    assert _code(path, profile=QualityProfile(min_bitrate=192)) == "below_profile"
    assert _code(path, profile=QualityProfile(formats=("flac",))) == "below_profile"


@pytest.mark.parametrize(("fmt", "params"), [("wav", {}), ("mp3", {"bitrate": 320})])
def test_cut_off_file_is_unreadable_even_without_a_reported_size(audio_file, fmt, params):
    path = audio_file(fmt, duration_s=2.0, **params)
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 3 // 4])
    with pytest.raises(VerificationFailed) as caught:
        _verify(path)
    assert caught.value.code == "unreadable"
    assert "truncated" in caught.value.detail
