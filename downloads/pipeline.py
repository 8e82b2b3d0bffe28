"""The HDM pipeline: which stage function runs for which state, and how a run is framed.

    queued -> matching -> searching -> downloading -> verifying -> done
                 |            ^  |          |  ^          |
                 v (owned)    |  v (none)   v  | (next)   v (bad file: blocklist, next candidate)
                done          dead        candidate failed

`run_job` loads the job, waits out a short poll delay, claims it, runs one stage step and
applies the outcome. Errors become outcomes here: transient provider and disk errors back off
and retry (Harmony's own counting), anything unexpected is retried as `internal` and
dead-lettered when the retry budget is spent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from downloads import peers, queries
from downloads.conf import knob
from downloads.models import Candidate, DeadReason, Job, JobScope, JobState
from downloads.outcomes import Advance, Dead, Outcome, Retry
from downloads.search import run_searching
from downloads.services import apply_outcome, block_candidate, claim_job
from downloads.transfers import run_downloading, transfer_cleared
from downloads.wanted import meta_from_dict
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
    texts = queries.build_queries(meta)
    if not texts:
        detail = "the wanted item has no searchable words"
        return Dead(DeadReason.INVALID_REQUEST, "no_query", detail)
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
    # Ingest verifies, tags and moves in one idempotent call: a job interrupted in any of
    # these states simply runs it again.
    JobState.VERIFYING: run_verifying,
    JobState.TAGGING: run_verifying,
    JobState.MOVING: run_verifying,
}


def run_job(job_id: int) -> None:
    """Run one step of a job: the task body. Safe to call any number of times."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state not in STAGES or job.scope != JobScope.TRACK:
        return
    if not _wait_until_due(job):
        return
    claimed = claim_job(job_id, state=job.state)
    if claimed is None:
        return
    apply_outcome(claimed, run_stage(claimed))


def _wait_until_due(job: Job) -> bool:
    """Sleep out a short poll delay in the task; longer waits belong to the sweeper."""
    if job.next_attempt_at is None:
        return True
    delay = (job.next_attempt_at - timezone.now()).total_seconds()
    if delay <= 0:
        return True
    if delay > 4 * knob("HDM_POLL_INTERVAL_S"):
        return False
    time.sleep(delay)
    return True


def run_stage(job: Job) -> Outcome:
    """Call the stage function for the job's state and turn errors into outcomes."""
    try:
        return STAGES[job.state](job)
    except ProviderRateLimited as exc:
        return Retry("rate_limited", "provider_rate_limited", str(exc), exc.retry_after)
    except ProviderAuthError as exc:
        return Retry("provider", "provider_auth", str(exc))
    except ProviderUnavailable as exc:
        return Retry("provider", "provider_unavailable", str(exc))
    except ProviderError as exc:
        return Retry("provider", "provider_error", str(exc))
    except OSError as exc:
        return Retry("disk", "disk_error", f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        logger.exception("hdm.job.crashed", extra={"job_id": job.pk, "state": job.state})
        return Retry("internal", "internal_error", f"{type(exc).__name__}: {exc}")
