"""Verified audio: what the analysers and the fingerprint found in a file, what the profile
makes of it, and that evidence in words (docs/library.md, "Verified audio").

`verify_content` runs inside ingest (after the format checks, before tagging): it raises
VerificationFailed when the profile quarantines fake lossless or AcoustID names another
recording, otherwise it returns the evidence stored on the LibraryFile and the track's
ReplayGain. Album gain is `library/album_gain.py`; the library-wide re-verify
`library/reverify.py`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from harmony_site.config import get_config
from library import acoustic
from library.analysis import AudioAnalysis, DecodeError, analyse_file
from library.quality import QualityProfile
from library.tagging.replaygain import ReplayGain
from library.verify import VerificationFailed
from providers.types import TrackMeta

logger = logging.getLogger("hdm.verify")

SPECTRUM_FLAGS = frozenset({"lossy_cutoff", "upsampled"})


@dataclass(frozen=True)
class Verification:
    """The analysis of one file and the flags that stand after the profile's policy."""

    analysis: AudioAnalysis
    flags: tuple[str, ...]
    replaygain: ReplayGain | None
    identity: acoustic.Identity = field(default_factory=acoustic.Identity)
    analysed_at: Any = field(default_factory=timezone.now)

    def fields(self) -> dict[str, Any]:
        """LibraryFile columns."""
        evidence = self.analysis.as_json() | {
            "flags": list(self.flags),
            "recording": self.identity.evidence,
        }
        return {
            "analysis": evidence,
            "suspect": bool(self.flags),
            "analysed_at": self.analysed_at,
            "fingerprint": self.identity.stored,
        }


def verify_content(
    path: Path,
    *,
    lossless: bool,
    profile: QualityProfile,
    replaygain: bool,
    wanted: TrackMeta | None = None,
    file_id: int | None = None,
) -> Verification:
    """Decode and analyse `path`, fingerprint it; raises VerificationFailed for audio the
    profile refuses or that AcoustID confidently names another recording than `wanted`'s ISRC.

    Lossy files skip the spectrum check: their encoder's low-pass is expected. `file_id` (a
    re-verify) keeps a file from matching itself as a same-recording copy.
    """
    try:
        analysis = analyse_file(path, spectrum=lossless)
    except DecodeError as exc:
        raise VerificationFailed("undecodable", exc.detail) from None
    if analysis.spectrum.suspect and profile.fake_lossless == "quarantine":
        raise VerificationFailed("fake_lossless", analysis.spectrum.detail)
    identity = acoustic.identify(
        path, wanted=wanted, api_key=get_config()["ACOUSTID_API_KEY"], exclude_id=file_id
    )
    if identity.mismatch:
        raise VerificationFailed("fingerprint_mismatch", identity.mismatch)
    flags = tuple(
        flag
        for flag in analysis.flags()
        if flag not in SPECTRUM_FLAGS or profile.fake_lossless == "flag"
    )
    lufs = analysis.loudness.integrated_lufs
    gain = (
        ReplayGain.from_loudness(lufs, analysis.loudness.true_peak)
        if replaygain and lufs is not None
        else None
    )
    logger.info(
        "hdm.verify.analysed",
        extra={"path": str(path), "flags": list(flags), "spectrum": analysis.spectrum.kind},
    )
    return Verification(analysis, flags, gain, identity)


def describe(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """(check, finding in words) for a stored `LibraryFile.analysis`, for pages and the API."""
    lines = []
    if evidence.get("error"):  # the last re-verify could not read it
        lines.append(("Analysis", f"failed: {evidence['error']}"))
    if "spectrum" not in evidence:
        return lines or [("Analysis", "not analysed yet")]
    spectrum, levels, loudness = evidence["spectrum"], evidence["levels"], evidence["loudness"]
    lines.append(("Spectrum", f"{_verdict_word(spectrum['kind'])}: {spectrum['detail']}"))
    lines.append(("Silence", _silence_words(levels)))
    lines.append(("Clipping", _clipping_words(levels)))
    lufs = loudness["integrated_lufs"]
    if lufs is None:
        lines.append(("Loudness", "no audio above the -70 LUFS gate"))
    else:
        album = evidence.get("album_gain_db")
        album_text = f", album gain {album:+.2f} dB" if album is not None else ""
        lines.append(
            (
                "Loudness",
                f"{lufs:.1f} LUFS, true peak {_dbtp(loudness['true_peak'])}; "
                f"track gain {evidence['track_gain_db']:+.2f} dB{album_text}",
            )
        )
    return lines + _recording_words(evidence.get("recording") or {})


def _recording_words(recording: dict[str, Any]) -> list[tuple[str, str]]:
    if not recording:
        return []
    if recording["status"] != "taken":
        return [("Fingerprint", f"not taken: {recording['detail']}")]
    same = recording.get("same_recording") or []
    text = (
        "same recording as " + "; ".join(f"{m['path']} ({m['similarity']:.0%} alike)" for m in same)
        if same
        else "no other copy of this recording in the library"
    )
    lines = [("Fingerprint", text)]
    if "acoustid" in recording:
        found = recording["acoustid"]
        lines.append(("Recording", f"{found['verdict']}: {found['detail']}"))
    return lines


def _verdict_word(kind: str) -> str:
    return {
        "ok": "genuine",
        "lossy_cutoff": "lossy source",
        "upsampled": "upsampled",
        "skipped": "not checked",
    }.get(kind, "unknown")


def _silence_words(levels: dict[str, Any]) -> str:
    share = levels["silent_s"] / levels["duration_s"] if levels["duration_s"] else 1.0
    return (
        f"{levels['silent_s']:.1f} s of {levels['duration_s']:.1f} s is digital silence "
        f"({share:.0%}; longest {levels['longest_silence_s']:.1f} s)"
    )


def _clipping_words(levels: dict[str, Any]) -> str:
    if not levels["clipped_runs"]:
        return "no clipped peaks"
    share = levels["clipped_samples"] / levels["total_samples"]
    return (
        f"{levels['clipped_runs']} flattened peaks, {levels['clipped_samples']} samples "
        f"({share:.3%}) at full scale"
    )


def _dbtp(peak: float) -> str:
    return f"{20 * math.log10(peak):.1f} dBTP" if peak > 0 else "silent"
