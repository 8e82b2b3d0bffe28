"""The ingest stage (verifying, tagging, moving): hand the delivered file to the library, which
verifies, tags, names, deduplicates and moves it; a bad file is blocklisted and the next
candidate downloaded."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from downloads.jobs.outcomes import Advance, Outcome
from downloads.jobs.state import record_stage
from downloads.models import Candidate, Job, JobState
from downloads.stages import peers
from downloads.stages.download import block_candidate, held_candidate, transfer_cleared
from downloads.wanted import meta_from_dict
from harmony_site.config import knob

logger = logging.getLogger("hdm.pipeline")


def run_verifying(job: Job) -> Outcome:
    """Verify, tag, name, deduplicate and move the delivered file through the library."""
    from library.services import ingest_file

    candidate = held_candidate(job)
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
    )
    if result.status == "quarantined":
        return _verification_failed(job, candidate, code=result.reason, detail=result.detail)
    Candidate.objects.filter(pk=candidate.pk).update(state=Candidate.State.CHOSEN)
    peers.record_peer_success(candidate.username)
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
