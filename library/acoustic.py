"""Is this the recording we wanted? Chromaprint fingerprints, AcoustID and MusicBrainz.

Without an AcoustID key the fingerprint is still taken and compared with the library's, so a
copy of a recording Harmony already holds is named whatever its tags say. With a key, the
fingerprint's AcoustID recordings are compared with the recordings MusicBrainz lists for the
wanted ISRC: only a *confident* mismatch (a strong AcoustID match whose recordings share none
with the ISRC's) refuses the file. Any service error leaves the file unjudged, never refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from library import fingerprint as fp
from library.models import LibraryFile
from providers import acoustid, musicbrainz
from providers.errors import ProviderError
from providers.types import TrackMeta

logger = logging.getLogger("hdm.verify")

CONFIDENT_SCORE = 0.9  # AcoustID score above which its recording is taken as what the file is
DURATION_WINDOW_S = 10.0  # library files this close in length are compared for same recording
MAX_SAME = 5  # same-recording matches kept as evidence


@dataclass(frozen=True)
class Identity:
    """What the fingerprint says: evidence for the row, the stored words, and a mismatch."""

    evidence: dict[str, Any] = field(default_factory=dict)
    stored: str = ""
    mismatch: str = ""  # why the file is another recording; empty when it is not known to be


def identify(
    path: Path, *, wanted: TrackMeta | None, api_key: str, exclude_id: int | None = None
) -> Identity:
    """Fingerprint `path`, find library copies of the same recording, check the wanted ISRC."""
    try:
        print_ = fp.fingerprint_file(path, compressed=bool(api_key))
    except fp.FingerprintError as exc:
        return Identity({"status": "failed", "detail": exc.detail})
    if print_ is None:
        return Identity({"status": "unavailable", "detail": "fpcalc is not installed"})
    evidence: dict[str, Any] = {
        "status": "taken",
        "same_recording": same_recording(print_, exclude_id=exclude_id),
    }
    mismatch = ""
    if api_key and wanted is not None and wanted.isrc:
        evidence["acoustid"], mismatch = _check_isrc(print_, wanted.isrc, api_key)
    return Identity(evidence, print_.stored(), mismatch)


def same_recording(print_: fp.Fingerprint, *, exclude_id: int | None = None) -> list[dict]:
    """Present library files whose fingerprint matches, best first (regardless of tags)."""
    near = LibraryFile.objects.filter(
        state=LibraryFile.State.PRESENT,
        duration_s__gte=print_.duration_s - DURATION_WINDOW_S,
        duration_s__lte=print_.duration_s + DURATION_WINDOW_S,
    ).exclude(fingerprint="")
    if exclude_id is not None:
        near = near.exclude(pk=exclude_id)
    found = []
    for file_id, path, stored in near.values_list("pk", "path", "fingerprint").iterator():
        score = fp.similarity(print_.raw, fp.load_stored(stored))
        if score >= fp.SAME_RECORDING:
            found.append({"file_id": file_id, "path": path, "similarity": round(score, 3)})
    return sorted(found, key=lambda m: m["similarity"], reverse=True)[:MAX_SAME]


def _check_isrc(print_: fp.Fingerprint, isrc: str, api_key: str) -> tuple[dict[str, Any], str]:
    try:
        results = acoustid.lookup(print_.compressed, print_.duration_s, api_key=api_key)
        best = results[0] if results and results[0].recording_ids else None
        expected = musicbrainz.recordings_for_isrc(isrc) if best else frozenset()
    except ProviderError as exc:
        logger.warning("hdm.verify.acoustid_failed", extra={"isrc": isrc, "error": exc.message})
        return {"verdict": "unknown", "detail": f"look-up failed: {exc.message}"}, ""
    if best is None:
        return {"verdict": "unknown", "detail": "AcoustID does not know this fingerprint"}, ""
    found = {"score": round(best.score, 3), "recordings": list(best.recording_ids)}
    shared = expected & set(best.recording_ids)
    if shared:
        detail = f"recording {sorted(shared)[0]} carries ISRC {isrc}"
        return {"verdict": "match", "detail": detail, **found}, ""
    if not expected:
        detail = f"MusicBrainz lists no recording for ISRC {isrc}"
        return {"verdict": "unknown", "detail": detail, **found}, ""
    detail = (
        f"AcoustID says recording {best.recording_ids[0]} (score {best.score:.2f}); "
        f"ISRC {isrc} belongs to {', '.join(sorted(expected))}"
    )
    if best.score < CONFIDENT_SCORE:
        return {"verdict": "unknown", "detail": f"weak match: {detail}", **found}, ""
    return {"verdict": "mismatch", "detail": detail, **found}, detail
