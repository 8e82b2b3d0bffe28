"""The runner: which stage function runs for which state, and how a run is framed.

    queued -> matching -> searching -> downloading -> verifying -> tagging -> moving -> done
                 |            ^  |          |  ^          |
                 v (owned)    |  v (none)   v  | (next)   v (bad file: blocklist, next candidate)
                done          dead        candidate failed

`run_job` claims a due job, runs one stage step and applies the outcome; a job that must wait
is released with its time and sent again by the dispatcher (`dispatch.dispatch_due`), never
slept out in a worker. Errors become outcomes here: transient provider and disk errors back
off and retry (Harmony's own counting), anything unexpected is retried as `internal` and
dead-lettered when the retry budget is spent. An album's parent job has stages of its own
(`downloads/stages/album.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils import timezone

from downloads.jobs.conf import knob
from downloads.jobs.disk import disk_pause
from downloads.jobs.dispatch import dispatch_due
from downloads.jobs.outcomes import Outcome, Retry, Wait
from downloads.jobs.queue import enqueue_job, held_sends
from downloads.jobs.state import apply_outcome, claim_job
from downloads.models import Job, JobScope, JobState
from downloads.stages import album
from downloads.stages.download import run_downloading
from downloads.stages.ingest import ClaimLost, run_verifying
from downloads.stages.prepare import run_matching, run_queued
from downloads.stages.search import run_searching
from harmony_site.disk import describe_os_error
from providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)

logger = logging.getLogger("hdm.pipeline")


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


# A job advanced into one of these goes on in the same task instead of a round trip through
# the queue. Only stages without a limit: a job entering a limited stage (searching,
# downloading, post-processing) takes its turn through the queue, where a higher-priority job
# sent earlier gets the slot first.
INSTANT_STATES = frozenset({JobState.MATCHING})


def run_job(job_id: int) -> None:
    """Run the steps of a job that are due now: the task body. Safe to call any number of times."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state not in stages_for(job):
        return
    state = job.state
    for _ in range(len(INSTANT_STATES) + 1):  # every further step enters another instant state
        # A job that is not due yet is not waited for here: the dispatcher sends it at its time.
        claimed = claim_job(job_id, state=state)
        if claimed is None:
            break
        with held_sends(job_id) as sends:
            apply_outcome(claimed, run_stage(claimed))
        if claimed.scope == JobScope.ALBUM and not album.in_album_phase(claimed):
            album.release_children(claimed)
        if not sends:
            break  # waiting (a poll, a backoff) or final: the dispatcher or nobody sends it
        if claimed.state == state or claimed.state not in INSTANT_STATES:
            enqueue_job(job_id)  # a due poll or a limited stage: back through the queue
            break
        state = claimed.state
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
