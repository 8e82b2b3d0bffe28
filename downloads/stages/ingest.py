"""The ingest stage (verifying, tagging, moving): hand the delivered file to the library, which
verifies, tags, names, deduplicates and moves it; a bad file is blocklisted and the next
candidate downloaded."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from downloads.jobs.conf import knob
from downloads.jobs.outcomes import Advance, Outcome
from downloads.jobs.state import record_event, record_stage
from downloads.models import Candidate, Job, JobState
from downloads.stages import peers
from downloads.stages.download import block_candidate, cancel_transfer, transfer_cleared
from downloads.wanted import meta_from_dict

if TYPE_CHECKING:
    from library.services import TaggedFile

logger = logging.getLogger("hdm.pipeline")


def run_verifying(job: Job) -> Outcome:
    """Verify, tag, name, deduplicate and move the delivered file through the library."""
    from library.services import ingest_file

    candidate = job.current_candidate
    source = {
        "username": candidate.username,
        "filename": candidate.filename,
        "size": candidate.size,
        "job_id": job.pk,
    }
    result = ingest_file(
        Path(job.download_path),
        meta=meta_from_dict(job.wanted),
        source=source,
        expected_size=candidate.size,
        actor=f"job:{job.pk}",
        on_step=lambda step: enter_step(job, step),
        on_tagged=lambda tagged: record_tagged(job, tagged),
        tagged=recorded_tagged(job),
    )
    if result.status == "quarantined":
        return _verification_failed(job, candidate, code=result.reason, detail=result.detail)
    Candidate.objects.filter(pk=candidate.pk).update(state=Candidate.State.CHOSEN)
    peers.record_peer_success(candidate.username)
    if knob("HDM_REMOVE_IMPORTED_TRANSFERS"):
        _tidy_up(job)
    library_file = result.library_file
    logger.info("hdm.move.completed", extra={"job_id": job.pk, "status": result.status})
    return Advance(
        JobState.DONE,
        f"ingest_{result.status}",
        details={"file_id": getattr(library_file, "pk", None), "reason": result.reason},
        fields={
            "library_file": library_file,
            "track_id": getattr(library_file, "track_id", None),
        },
    )


def _tidy_up(job: Job) -> None:
    """After an import: drop the finished record from slskd's list (otherwise it grows without
    bound; the sweeper retries a removal slskd did not answer) and the source folders the
    move left empty."""
    if job.transfer_id:
        cancel_transfer(job.transfer_username, job.transfer_id, job_id=job.pk, reason="imported")
    remove_empty_parents(Path(job.download_path))


def remove_empty_parents(path: Path) -> None:
    """Remove `path`'s folders while empty, up to but never DOWNLOADS_DIR itself, nor the
    import, quarantine or recycle folders (or anything outside DOWNLOADS_DIR)."""
    from library.importing import import_dir
    from library.quarantine import quarantine_dir
    from library.services import recycle_dir

    root = Path(settings.DOWNLOADS_DIR).resolve()
    kept = {root, import_dir().resolve(), quarantine_dir().resolve(), recycle_dir().resolve()}
    folder = path.parent.resolve()
    while folder not in kept and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:  # not empty (another download's files): it stays
            return
        folder = folder.parent


_POSTPROCESS_ORDER = (JobState.VERIFYING, JobState.TAGGING, JobState.MOVING)


class ClaimLost(Exception):
    """The job was taken from this worker mid-step (an operator's cancel, an expired lease)."""


def enter_step(job: Job, step: str) -> None:
    """Record the ingest step about to run as the job's state (tagging, moving).

    Idempotent on redelivery: a step at or before the job's recorded one is not recorded again,
    so a job re-run after a crash in `moving` never goes back to `tagging`.
    """
    if _POSTPROCESS_ORDER.index(step) <= _POSTPROCESS_ORDER.index(job.state):
        return
    if not record_stage(job, to=step, reason=f"{step}_started"):
        raise ClaimLost(f"job {job.pk} lost its claim before {step}")


def record_tagged(job: Job, tagged: TaggedFile) -> None:
    """Write down the tagged file before it moves (a timeline event): a run killed before the
    move then finishes it instead of quarantining a good file for its new size."""
    record_event(
        job.pk,
        from_state=job.state,
        to_state=job.state,
        reason="tagged",
        details={"path": tagged.path, "size": tagged.size, "sha256": tagged.content_hash},
    )


def recorded_tagged(job: Job) -> TaggedFile | None:
    """The latest tagged-file record of this job's current download, if any."""
    from library.services import TaggedFile

    event = job.events.filter(reason="tagged").order_by("-id").first()
    if event is None or event.details.get("path") != job.download_path:
        return None
    details = event.details
    return TaggedFile(details["path"], int(details["size"]), str(details["sha256"]))


def _verification_failed(job: Job, candidate: Candidate, *, code: str, detail: str) -> Outcome:
    """Quarantined by the library: never this file again; the next candidate."""
    block_candidate(candidate, reason=f"verify:{code}", detail=detail)
    Candidate.objects.filter(pk=candidate.pk).update(
        state=Candidate.State.FAILED, failure_reason=f"verify:{code}"[:64], failure_detail=detail
    )
    logger.warning("hdm.verify.failed", extra={"job_id": job.pk, "code": code})
    return Advance(
        JobState.DOWNLOADING,
        "verification_failed",
        details={"candidate_id": candidate.pk, "code": code, "detail": detail[:500]},
        fields={
            **transfer_cleared(),
            "download_path": "",
            "next_attempt_at": timezone.now() + timedelta(seconds=knob("HDM_BACKOFF_VERIFY_S")),
        },
    )
