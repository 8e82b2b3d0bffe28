"""The dead-letter verdict of a job whose candidates and searches ran out: a reason that says
what actually went wrong (shared by the searching and downloading stages)."""

from __future__ import annotations

from downloads.jobs.outcomes import Dead
from downloads.models import Candidate, DeadReason, Job

_BY_PEER = {"rejected", "cancelled"}


def failure_reasons(job: Job) -> set[str]:
    failed = job.candidates.filter(state=Candidate.State.FAILED)
    return set(failed.values_list("failure_reason", flat=True))


def dead_after_failures(job: Job) -> Dead:
    """The dead-letter reason that says what actually went wrong with the job's candidates."""
    failures = failure_reasons(job)
    if not failures:
        return Dead(DeadReason.NO_CANDIDATES, "no_candidates", refusals_in_words(job))
    detail = ", ".join(sorted(failures))
    if failures <= _BY_PEER:
        return Dead(DeadReason.CANCELLED_BY_PEER, "cancelled_by_peer", detail)
    if all(reason.startswith("verify:") for reason in failures):
        codes = ", ".join(sorted(reason.removeprefix("verify:") for reason in failures))
        return Dead(
            DeadReason.VERIFICATION_FAILED, "verification_failed", f"verification_failed: {codes}"
        )
    return Dead(DeadReason.ALL_CANDIDATES_FAILED, "all_candidates_failed", detail)


def refusals_in_words(job: Job) -> str:
    """Why the offered files were refused, most common reason first, with one example each."""
    rejected = job.candidates.filter(state=Candidate.State.REJECTED).order_by("id")
    examples: dict[str, tuple[int, str]] = {}
    for reason, score in rejected.values_list("rejection", "score"):
        count, example = examples.get(reason, (0, (score or {}).get("detail", "")))
        examples[reason] = (count + 1, example)
    searched = len(job.queries)
    if not examples:
        return f"no peer offered a file for {searched} queries"
    parts = [
        f"{count} {reason} (e.g. {example})" if example else f"{count} {reason}"
        for reason, (count, example) in sorted(examples.items(), key=lambda kv: -kv[1][0])
    ]
    return f"no file passed the filters for {searched} queries: " + "; ".join(parts)
