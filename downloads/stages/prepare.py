"""The first stages of a track job: `queued` starts it, `matching` checks the library for an
owned copy (no search is spent on a track the library has) and builds the search texts."""

from __future__ import annotations

from downloads.jobs.outcomes import Advance, Dead, Outcome
from downloads.matching import queries
from downloads.models import Candidate, DeadReason, Job, JobState
from downloads.stages import album
from downloads.wanted import meta_from_dict


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
