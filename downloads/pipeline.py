"""The HDM pipeline: which stage function runs for which state, and how a run is framed.

    queued -> matching -> searching -> downloading -> verifying -> tagging -> moving -> done
                 |            ^  |          |  ^          |
                 v (owned)    |  v (none)   v  | (next)   v (bad file: blocklist, next candidate)
                done          dead        candidate failed

`run_job` claims a due job, runs one stage step and applies the outcome; a job that must wait
is released with its time and sent again by the dispatcher (`recovery.dispatch_due`), never
slept out in a worker. Errors become outcomes here: transient provider and disk errors back
off and retry (Harmony's own counting), anything unexpected is retried as `internal` and
dead-lettered when the retry budget is spent. An album's parent job has stages of its own
(`downloads/album.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from downloads import album, peers, queries
from downloads.conf import knob
from downloads.disk import disk_pause
from downloads.models import Candidate, DeadReason, Job, JobScope, JobState
from downloads.outcomes import Advance, Dead, Outcome, Retry, Wait
from downloads.recovery import dispatch_due
from downloads.search import run_searching
from downloads.services import apply_outcome, block_candidate, claim_job, record_stage
from downloads.transfers import run_downloading, transfer_cleared
from downloads.wanted import meta_from_dict
from harmony_site.disk import describe_os_error
from providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)

logger = logging.getLogger("hdm.pipeline")


def run_queued(job: Job) -> Outcome:
    return Advance(JobState.MATCHING, "started")


def run_matching(job: Job) -> Outcome:
    """Owned-check first (no search is spent on a track the library has), then the queries."""
    from library import dedupe, quality

    meta = meta_from_dict(job.wanted)
    if not job.force:
        owned = dedupe.find_owned(meta, profile=quality.QualityProfile.from_config())
        if owned is not None:
            return Advance(
                JobState.DONE,
                "owned",
                details={"file_id": owned.pk},
                fields={"library_file": owned, "track_id": owned.track_id},
            )
    if album.in_album_phase(job.parent):
        return album.child_wait()
    texts = queries.build_queries(meta)
    if not texts:
        detail = "the wanted item has no searchable words"
        return Dead(DeadReason.INVALID_REQUEST, "no_query", detail)
    if job.parent_id and job.candidates.filter(state=Candidate.State.PENDING).exists():
        # The album's folder holds this track: download it without a search of its own.
        return Advance(
            JobState.DOWNLOADING,
            "album_folder_match",
            details={"queries": texts},
            fields={"queries": texts},
        )
    return Advance(
        JobState.SEARCHING, "queries_built", details={"queries": texts}, fields={"queries": texts}
    )


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


STAGES: dict[str, Callable[[Job], Outcome]] = {
    JobState.QUEUED: run_queued,
    JobState.MATCHING: run_matching,
    JobState.SEARCHING: run_searching,
    JobState.DOWNLOADING: run_downloading,
    # Ingest verifies, tags and moves in one idempotent call that records tagging and moving
    # as it reaches them (`enter_step`): a job interrupted in any of them runs it again.
    JobState.VERIFYING: run_verifying,
    JobState.TAGGING: run_verifying,
    JobState.MOVING: run_verifying,
}


# An album request's parent searches for one peer's folder before its tracks run.
ALBUM_STAGES: dict[str, Callable[[Job], Outcome]] = {
    JobState.QUEUED: album.run_album_queued,
    JobState.SEARCHING: album.run_album_searching,
}


def stages_for(job: Job) -> dict[str, Callable[[Job], Outcome]]:
    if job.scope == JobScope.TRACK:
        return STAGES
    return ALBUM_STAGES if job.scope == JobScope.ALBUM else {}


def run_job(job_id: int) -> None:
    """Run one step of a job: the task body. Safe to call any number of times."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state not in stages_for(job):
        return
    # A job that is not due yet is not waited for here: the dispatcher sends it at its time.
    claimed = claim_job(job_id, state=job.state)
    if claimed is not None:
        apply_outcome(claimed, run_stage(claimed))
        if claimed.scope == JobScope.ALBUM and not album.in_album_phase(claimed):
            album.release_children(claimed)
    # While the cluster is busy, each finished task sends the jobs whose wait is over.
    dispatch_due(limit=knob("HDM_WORKERS"), arm=False)


def run_stage(job: Job) -> Outcome:
    """Call the stage function for the job's state and turn errors into outcomes."""
    paused = disk_pause(job)
    if paused is not None:
        return paused
    try:
        return stages_for(job)[job.state](job)
    except ClaimLost:
        return Wait(timezone.now())  # not applied: the claim is gone, whoever took it goes on
    except ProviderRateLimited as exc:
        return Retry("rate_limited", "provider_rate_limited", str(exc), exc.retry_after)
    except ProviderAuthError as exc:
        return Retry("provider", "provider_auth", str(exc))
    except ProviderUnavailable as exc:
        return Retry("provider", "provider_unavailable", str(exc))
    except ProviderError as exc:
        return Retry("provider", "provider_error", str(exc))
    except OSError as exc:
        return Retry("disk", "disk_error", describe_os_error(exc))
    except Exception as exc:
        logger.exception("hdm.job.crashed", extra={"job_id": job.pk, "state": job.state})
        return Retry("internal", "internal_error", f"{type(exc).__name__}: {exc}")
