"""The library-wide re-verify: every present file analysed again, with progress on a row."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from library.album_gain import apply_album_gain, file_on_disk
from library.models import LibraryFile, VerifyRun
from library.quality import QualityProfile
from library.tagging import read_audio
from library.tagging.errors import UnreadableAudio
from library.verification import verify_content
from library.verify import VerificationFailed

logger = logging.getLogger("hdm.verify")


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
    path = file_on_disk(row)
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
