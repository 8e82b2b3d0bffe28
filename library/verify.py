"""Verification before promotion: is this delivered file the audio we asked for?"""

from __future__ import annotations

import logging
from pathlib import Path

from library.quality import QualityProfile, meets_profile
from library.tagging import AudioInfo, ParsedAudio, UnreadableAudio, parse_audio
from providers.types import TrackMeta

logger = logging.getLogger("hdm.verify")

FAILURE_CODES = frozenset(
    {"missing", "unreadable", "wrong_format", "duration_mismatch", "size_mismatch", "below_profile"}
)


class VerificationFailed(Exception):
    """The file must not be promoted; `code` is one of FAILURE_CODES, `detail` says why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def verify_file(
    path: str | Path,
    *,
    wanted: TrackMeta | None,
    expected_size: int | None,
    profile: QualityProfile,
    tolerance_s: float,
) -> AudioInfo:
    """Check a file against what was wanted; returns its AudioInfo or raises VerificationFailed.

    Checks, in order: it exists; its size is what the source reported; it parses as the format
    its extension claims; its duration is within `tolerance_s` of the wanted one (when both are
    known); it meets the quality profile.
    """
    return verify_audio(
        path, wanted=wanted, expected_size=expected_size, profile=profile, tolerance_s=tolerance_s
    ).info


def verify_audio(
    path: str | Path,
    *,
    wanted: TrackMeta | None,
    expected_size: int | None,
    profile: QualityProfile,
    tolerance_s: float,
) -> ParsedAudio:
    """`verify_file`, keeping mutagen's parse so ingest can tag the file without re-reading it."""
    path = Path(path)
    if not path.is_file():
        raise VerificationFailed("missing", f"{path.name} does not exist")
    size = path.stat().st_size
    if expected_size is not None and size != expected_size:
        raise VerificationFailed(
            "size_mismatch", f"{size} bytes on disk, source said {expected_size}"
        )
    parsed = _read(path)
    _check_duration(parsed.info, wanted, tolerance_s)
    check = meets_profile(parsed.info, profile=profile)
    if not check:
        raise VerificationFailed("below_profile", check.reason)
    logger.debug("hdm.verify.passed", extra={"path": str(path), "format": parsed.info.format})
    return parsed


def _read(path: Path) -> ParsedAudio:
    try:
        parsed = parse_audio(path)
    except UnreadableAudio as exc:
        code = {"wrong_format": "wrong_format", "missing": "missing"}.get(exc.code, "unreadable")
        raise VerificationFailed(code, exc.reason) from None
    if parsed.info.duration_s <= 0:
        raise VerificationFailed("unreadable", f"{path.name} holds no audio")
    return parsed


def _check_duration(info: AudioInfo, wanted: TrackMeta | None, tolerance_s: float) -> None:
    expected = wanted.duration_s if wanted else None
    if not expected:  # unknown; some sources send 0 for "unknown"
        return
    if abs(info.duration_s - expected) > tolerance_s:
        raise VerificationFailed(
            "duration_mismatch",
            f"{info.duration_s:.1f} s, wanted {expected:.1f} s (tolerance {tolerance_s:g} s)",
        )
