"""Verified audio: what the analysers found in a file, what the profile makes of it, and the
ReplayGain written from it (docs/library.md, "Verified audio").

`verify_content` runs inside ingest (after the format checks, before tagging): it raises
VerificationFailed when the profile quarantines fake lossless, otherwise it returns the
evidence stored on the LibraryFile. `apply_album_gain` adds album gain to every file of a
complete album; `reverify_library` analyses the whole library again with progress.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from harmony_site.config import fsync_dir, get_config
from library import acoustic, catalog, naming
from library.analysis import AudioAnalysis, DecodeError, album_loudness, analyse_file
from library.models import Album, LibraryFile, VerifyRun
from library.moving import TEMP_PREFIX, file_hash
from library.quality import QualityProfile
from library.tagging import read_audio
from library.tagging.errors import UnreadableAudio
from library.tagging.formats import open_audio
from library.tagging.replaygain import ReplayGain, write_replaygain
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


# --- Album gain -----------------------------------------------------------------------------


def album_is_complete(album: Album) -> bool:
    """Every track the album lists has a file in the library."""
    if not album.track_total:
        return False
    owned = (
        LibraryFile.objects.filter(track__album=album, state=LibraryFile.State.PRESENT)
        .values("track_id")
        .distinct()
        .count()
    )
    return owned >= album.track_total


def enqueue_album_gain(album_id: int) -> None:
    """Within a transaction: once the album is complete, run `apply_album_gain` after commit.

    A lost task only delays album gain: a library re-verify adds it to complete albums.
    """
    album = Album.objects.filter(pk=album_id).first()
    if album is None or not get_config()["REPLAYGAIN"] or not album_is_complete(album):
        return
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task("library.tasks.run_album_gain", album_id, group="replaygain")
    )


def apply_album_gain(album_id: int) -> bool:
    """Write album gain and peak into every file of a complete album; False when it is not.

    The album is measured as one programme (all its 400 ms blocks gated together). Each file
    is rewritten through a copy renamed over it, so a crash leaves the old or the new file.
    """
    album = Album.objects.filter(pk=album_id).first()
    if album is None or not album_is_complete(album) or not get_config()["REPLAYGAIN"]:
        return False
    rows = list(
        LibraryFile.objects.filter(track__album=album, state=LibraryFile.State.PRESENT).order_by(
            "track__disc_number", "track__track_number"
        )
    )
    paths = [_on_disk(row) for row in rows]
    lufs, peak = album_loudness(paths)
    if lufs is None:
        return False
    album_gain = ReplayGain.from_loudness(lufs, peak).track_gain_db
    for row, path in zip(rows, paths, strict=True):
        _write_album_gain(row, path, album_gain=album_gain, album_peak=peak)
    logger.info(
        "hdm.replaygain.album_written",
        extra={"album_id": album.pk, "files": len(rows), "album_gain_db": round(album_gain, 2)},
    )
    return True


def _write_album_gain(
    row: LibraryFile, path: Path, *, album_gain: float, album_peak: float
) -> None:
    evidence = dict(row.analysis)
    track_gain = evidence.get("track_gain_db")
    if track_gain is None:  # not analysed yet (e.g. indexed by a scan): measure it now
        evidence = verify_content(
            path, lossless=True, profile=QualityProfile(fake_lossless="flag"), replaygain=True
        ).fields()["analysis"]
        track_gain = evidence["track_gain_db"]
    gain = ReplayGain(
        track_gain_db=track_gain,
        track_peak=evidence["loudness"]["true_peak"],
        album_gain_db=album_gain,
        album_peak=album_peak,
    )
    _retag_in_place(path, gain)
    evidence["album_gain_db"] = album_gain
    evidence["album_peak"] = album_peak
    info = read_audio(path)
    LibraryFile.objects.filter(pk=row.pk).update(
        analysis=evidence,
        content_hash=file_hash(path),
        **catalog.file_fields(info, path, tags=info.tags),
    )


def _retag_in_place(path: Path, gain: ReplayGain) -> None:
    """Tag a copy beside `path`, fsync it, rename it over `path`: never a half-written file."""
    temp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}{path.suffix}")
    try:
        with open(path, "rb") as src, open(temp, "xb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        fmt, audio = open_audio(temp, check_extension=False)
        write_replaygain(audio, fmt, gain)
        audio.save()
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _on_disk(row: LibraryFile) -> Path:
    return naming.resolve_inside(Path(settings.MUSIC_DIR), PurePosixPath(row.path))


# --- Library-wide re-verify -----------------------------------------------------------------


def start_reverify(*, actor: str) -> VerifyRun:
    """Queue a re-verify of the whole library; the caller enqueues `run_reverify` on commit."""
    total = LibraryFile.objects.filter(state=LibraryFile.State.PRESENT).count()
    return VerifyRun.objects.create(actor=actor, total=total)


def reverify_library(run: VerifyRun) -> VerifyRun:
    """Analyse every present file again, storing evidence and progress as it goes.

    ReplayGain tags are not rewritten here (that would change every file's bytes); complete
    albums without album gain get it at the end.
    """
    claimed = VerifyRun.objects.filter(pk=run.pk, state=VerifyRun.State.QUEUED).update(
        state=VerifyRun.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        logger.info("hdm.verify.claim_skipped", extra={"verify_run_id": run.pk})
        return run
    profile = QualityProfile.from_config()
    if profile.fake_lossless == "quarantine":  # a library file is flagged, never moved out
        profile = replace(profile, fake_lossless="flag")
    albums: set[int] = set()
    try:
        for row in (
            LibraryFile.objects.filter(state=LibraryFile.State.PRESENT)
            .select_related("track")
            .iterator()
        ):
            _reverify_one(run, row, profile)
            if row.track and row.track.album_id and "album_gain_db" not in row.analysis:
                albums.add(row.track.album_id)
        for album_id in albums:
            apply_album_gain(album_id)
    except Exception as exc:
        VerifyRun.objects.filter(pk=run.pk).update(
            state=VerifyRun.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    VerifyRun.objects.filter(pk=run.pk).update(
        state=VerifyRun.State.FINISHED, current_path="", finished_at=timezone.now()
    )
    run.refresh_from_db()
    logger.info(
        "hdm.verify.run_finished",
        extra={"verify_run_id": run.pk, "files": run.done, "suspect": run.suspect},
    )
    return run


def _reverify_one(run: VerifyRun, row: LibraryFile, profile: QualityProfile) -> None:
    path = _on_disk(row)
    VerifyRun.objects.filter(pk=run.pk).update(current_path=row.path)
    try:
        lossless = read_audio(path).lossless
        verification = verify_content(
            path, lossless=lossless, profile=profile, replaygain=False, file_id=row.pk
        )
    except (VerificationFailed, UnreadableAudio) as exc:
        code = getattr(exc, "code", "unreadable")
        with transaction.atomic():
            LibraryFile.objects.filter(pk=row.pk).update(
                suspect=True,
                analysis=row.analysis | {"flags": [code], "error": str(exc)},
                analysed_at=timezone.now(),
            )
            _count(run, failed=1, suspect=1)
        return
    fields = verification.fields()
    if "album_gain_db" in row.analysis:  # keep what the last album pass wrote
        fields["analysis"] |= {k: row.analysis[k] for k in ("album_gain_db", "album_peak")}
    with transaction.atomic():
        LibraryFile.objects.filter(pk=row.pk).update(**fields)
        _count(run, suspect=int(fields["suspect"]))


def _count(run: VerifyRun, *, failed: int = 0, suspect: int = 0) -> None:
    VerifyRun.objects.filter(pk=run.pk).update(
        done=F("done") + 1, failed=F("failed") + failed, suspect=F("suspect") + suspect
    )
