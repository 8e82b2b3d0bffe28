"""The downloading stage: enqueue the best untried candidate in slskd and watch its transfer.

Each call is one short step: enqueue, or poll the transfer once. Separate timeouts apply while
the transfer is queued (locally or at the peer: TRANSFER_QUEUED_TIMEOUT_S) and while it runs
without new bytes (TRANSFER_STALL_TIMEOUT_S); a timed-out transfer is cancelled and removed in
slskd, the peer's failure recorded, and the next candidate tried. Success means the file is on
disk at the mapped path with the reported size, never just "slskd says Succeeded".
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from downloads import clients
from downloads.jobs.conf import knob
from downloads.jobs.outcomes import Advance, Dead, Outcome, Retry, Wait
from downloads.jobs.state import update_claimed
from downloads.models import (
    Candidate,
    CandidateBlock,
    DeadReason,
    Job,
    JobState,
    SlskdSearch,
    TransferCleanup,
    file_key,
)
from downloads.stages import peers
from downloads.stages.search import match_config, poll_delay
from providers.errors import ProviderError, ProviderNotFound
from providers.slskd import paths
from providers.slskd.client import PeerUnavailable, UnsafeRemotePath, check_remote_path
from providers.slskd.types import Transfer, TransferState

logger = logging.getLogger("hdm.download")

_QUEUED = (
    TransferState.QUEUED_LOCALLY,
    TransferState.REQUESTED,
    TransferState.QUEUED_REMOTELY,
    TransferState.INITIALIZING,
)
_BY_PEER = {"rejected", "cancelled"}


def transfer_cleared() -> dict:
    return {
        "transfer_id": "",
        "transfer_username": "",
        "transfer_state": "",
        "transfer_enqueued_at": None,
        "transfer_progress_at": None,
        "transfer_terminal_since": None,
        "bytes_transferred": 0,
        "bytes_total": 0,
    }


def run_downloading(job: Job) -> Outcome:
    """One step of the downloading stage for a claimed job."""
    client = clients.slskd_client()
    if job.transfer_id:
        return _watch(job, client)
    candidate = _unrecorded_candidate(job) or next_candidate(job)
    if candidate is None:
        return candidates_exhausted(job)
    return _enqueue(job, client, candidate)


def _unrecorded_candidate(job: Job) -> Candidate | None:
    """The candidate a run was enqueueing when it stopped before recording the transfer (a kill,
    a timeout): `_enqueue` looks it up in slskd before sending anything again."""
    candidate = job.current_candidate
    if candidate is not None and candidate.state == Candidate.State.TRYING:
        return candidate
    return None


def next_candidate(job: Job) -> Candidate | None:
    """The best pending candidate whose peer is not excluded (excluded ones are marked failed)."""
    for candidate in job.candidates.filter(state=Candidate.State.PENDING).order_by("rank", "id"):
        if peers.is_peer_excluded(candidate.username):
            _fail_candidate(candidate, reason="peer_excluded")
            continue
        return candidate
    return None


def tried_count(job: Job) -> int:
    states = (Candidate.State.TRYING, Candidate.State.FAILED, Candidate.State.CHOSEN)
    return job.candidates.filter(state__in=states).exclude(failure_reason="peer_excluded").count()


# Failures that blocklist the file itself: the same search returns the same blocked files, so
# a fresh search after only these cannot find anything new.
_BLOCKED = ("verify:", "wrong_size", "wrong_file", "unsafe_path")


def candidates_exhausted(job: Job) -> Outcome:
    """No candidate left: a fresh search while the budget allows and it can find something new
    (a peer that failed may answer now), then the dead-letter queue with the real reason."""
    if job.queries and not SlskdSearch.objects.filter(job=job).exists():
        # Its album's folder failed for this track: now the track searches on its own.
        return Advance(JobState.SEARCHING, "per_track_search", fields={"query_index": 0})
    failures = _failure_reasons(job)
    over_budget = tried_count(job) >= match_config().max_attempts
    can_help = any(not reason.startswith(_BLOCKED) for reason in failures)
    if can_help and not over_budget and job.search_rounds < knob("HDM_FRESH_SEARCHES"):
        return Advance(
            JobState.SEARCHING,
            "fresh_search",
            fields={"query_index": 0, "search_rounds": job.search_rounds + 1},
        )
    return dead_after_failures(job)


def _failure_reasons(job: Job) -> set[str]:
    failed = job.candidates.filter(state=Candidate.State.FAILED)
    return set(failed.values_list("failure_reason", flat=True))


def dead_after_failures(job: Job) -> Dead:
    """The dead-letter reason that says what actually went wrong with the job's candidates."""
    failures = _failure_reasons(job)
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


def block_candidate(candidate: Candidate, *, reason: str, detail: str = "") -> None:
    """Never download this (user, path, size) again, in any job."""
    CandidateBlock.objects.get_or_create(
        key=file_key(candidate.username, candidate.filename, candidate.size),
        defaults={
            "username": candidate.username,
            "filename": candidate.filename,
            "size": candidate.size,
            "reason": reason,
            "detail": detail[:2000],
            "job_id": candidate.job_id,
        },
    )


def _fail_candidate(candidate: Candidate, *, reason: str, detail: str = "") -> None:
    Candidate.objects.filter(pk=candidate.pk).update(
        state=Candidate.State.FAILED, failure_reason=reason[:64], failure_detail=detail[:2000]
    )


def _enqueue(job: Job, client, candidate: Candidate) -> Outcome:
    """Enqueue the candidate in slskd, adopting its transfer if slskd already has one.

    The candidate is marked `trying` before the POST, so a run that dies before recording the
    answer is followed by one that looks the transfer up (provider-apis.md 1.4: (username,
    filename) is its identity) instead of abandoning it. An ambiguous answer (a 5xx, a timeout,
    "already in progress") is looked up the same way before the candidate is given up.
    """
    try:
        check_remote_path(candidate.filename)  # `.`/`..` segments are never enqueued
    except UnsafeRemotePath as exc:
        _fail_candidate(candidate, reason="unsafe_path", detail=str(exc))
        return Wait(timezone.now(), reason="candidate_refused", details={"detail": str(exc)})
    adopted = _adopt_existing(job, client, candidate)
    if adopted is not None:
        return adopted
    Candidate.objects.filter(pk=candidate.pk).update(state=Candidate.State.TRYING)
    if not update_claimed(job, current_candidate=candidate, **transfer_cleared()):
        return Wait(timezone.now())
    try:
        result = client.enqueue_download(candidate.username, [(candidate.filename, candidate.size)])
    except ProviderError as exc:
        # The POST may have taken effect all the same: a lookup failing here propagates, the
        # job retries, and the next run looks again (the candidate is still `trying`).
        adopted = _adopt_existing(job, client, candidate)
        if adopted is not None:
            return adopted
        if isinstance(exc, PeerUnavailable):
            return peer_failed(job, candidate, reason="enqueue_failed", detail=str(exc))
        raise
    if not result.enqueued:
        adopted = _adopt_existing(job, client, candidate)
        if adopted is not None:
            return adopted
        return peer_failed(job, candidate, reason="enqueue_failed", detail="slskd refused it")
    return _watching(job, candidate, result.enqueued[0], reason="download_enqueued")


def _adopt_existing(job: Job, client, candidate: Candidate) -> Outcome | None:
    """Watch slskd's transfer of this exact file if it has a live one (or a delivered one whose
    file is still in DOWNLOADS_DIR); None when there is nothing to adopt."""
    for transfer in client.find_transfers(candidate.username, candidate.filename):
        if transfer.removed:
            continue
        if not transfer.state.is_terminal or _delivered_here(transfer):
            Candidate.objects.filter(pk=candidate.pk).update(state=Candidate.State.TRYING)
            return _watching(job, candidate, transfer, reason="transfer_adopted")
    return None


def _delivered_here(transfer: Transfer) -> bool:
    """A finished download whose file is still in DOWNLOADS_DIR, of any size (the watch then
    imports it or fails it as `wrong_size`); one already imported has no file left here."""
    if not transfer.state.is_success:
        return False
    try:
        delivered = find_delivered_file(transfer)
    except paths.UnsafeDownloadPath:
        return False  # never adopted: the watch would refuse it anyway
    return delivered is not None or _wrong_size_file(transfer) is not None


def _watching(job: Job, candidate: Candidate, transfer: Transfer, *, reason: str) -> Outcome:
    logger.info(
        "hdm.download.started",
        extra={
            "job_id": job.pk,
            "peer": candidate.username,
            "transfer_id": transfer.id,
            "reason": reason,
        },
    )
    now = timezone.now()
    return Wait(
        now + poll_delay(),
        reason=reason,
        details={"candidate_id": candidate.pk, "peer": candidate.username, "rank": candidate.rank},
        fields={
            "current_candidate": candidate,
            "transfer_id": transfer.id,
            "transfer_username": candidate.username,
            "transfer_state": str(transfer.state),
            "transfer_enqueued_at": now,
            "bytes_total": candidate.size,
        },
    )


def _watch(job: Job, client) -> Outcome:
    candidate = job.current_candidate
    try:
        transfer = client.get_transfer(job.transfer_username, job.transfer_id)
    except ProviderNotFound:
        transfer = None
    now = timezone.now()
    if transfer is None or _shut_down(transfer):
        adopted = _adopt_requeued(job, client, now=now)
        if adopted is not None:
            return adopted
    if transfer is None:
        return _retire_candidate(job, candidate, reason="transfer_lost", penalise=False)
    fields = {
        "transfer_state": str(transfer.state),
        "bytes_transferred": transfer.bytes_transferred,
    }
    if transfer.state.is_success:
        return _delivered(job, transfer, client=client, now=now, fields=fields)
    if transfer.state.is_terminal:
        return _ended(job, candidate, transfer, client=client, now=now, fields=fields)
    fields["transfer_terminal_since"] = None
    if transfer.state in _QUEUED:
        if _older_than(job.transfer_enqueued_at, "TRANSFER_QUEUED_TIMEOUT_S", now):
            return _retire_candidate(job, candidate, reason="queued_timeout", client=client)
        return Wait(now + poll_delay(), fields=fields)
    if transfer.bytes_transferred > job.bytes_transferred or job.transfer_progress_at is None:
        fields["transfer_progress_at"] = now
    elif _older_than(job.transfer_progress_at, "TRANSFER_STALL_TIMEOUT_S", now):
        return _retire_candidate(job, candidate, reason="stalled", client=client)
    return Wait(now + poll_delay(), fields=fields)


def _shut_down(transfer: Transfer) -> bool:
    return transfer.state.is_terminal and "shut down" in (transfer.exception or "").lower()


def _adopt_requeued(job: Job, client, *, now) -> Outcome | None:
    """After an slskd restart the download continues under a new id: find it by
    (username, filename) and watch that one instead."""
    candidate = job.current_candidate
    for newer in client.find_transfers(candidate.username, candidate.filename):
        if newer.id != job.transfer_id and not newer.removed:
            return Wait(
                now,
                reason="transfer_requeued",
                details={"old_id": job.transfer_id, "new_id": newer.id},
                fields={"transfer_id": newer.id, "transfer_terminal_since": None},
            )
    return None


def _older_than(since: datetime | None, knob_name: str, now: datetime) -> bool:
    return since is not None and now - since > timedelta(seconds=knob(knob_name))


def _ended(job: Job, candidate: Candidate, transfer: Transfer, *, client, now, fields) -> Outcome:
    """slskd 0.26 retries Errored/TimedOut itself under the same id: final only if the failure
    is not retryable, attempts are used up, or it stayed final longer than the retry grace."""
    since = job.transfer_terminal_since or now
    retrying = (
        transfer.state.may_be_retried_by_slskd
        and (transfer.attempts or 1) < knob("HDM_SLSKD_RETRY_ATTEMPTS")
        and now - since <= timedelta(seconds=knob("HDM_SLSKD_RETRY_GRACE_S"))
    )
    if retrying:
        return Wait(now + poll_delay(), fields={**fields, "transfer_terminal_since": since})
    detail = transfer.exception or str(transfer.state)
    reason = transfer.state.value.split(", ")[-1].lower()  # "Completed, Rejected" -> "rejected"
    return _retire_candidate(job, candidate, reason=reason, detail=detail, client=client)


def _delivered(job: Job, transfer: Transfer, *, client, now, fields) -> Outcome:
    try:
        path = find_delivered_file(transfer)
    except paths.UnsafeDownloadPath as exc:
        return _retire_candidate(
            job, job.current_candidate, reason="unsafe_path", detail=str(exc), penalise=False
        )
    if path is not None:
        return Advance(
            JobState.VERIFYING,
            "download_completed",
            details={"path": str(path), "bytes": transfer.size},
            fields={**fields, "download_path": str(path), "transfer_progress_at": now},
        )
    # slskd stores "Succeeded" just before it moves the file: wait a little for it.
    since = job.transfer_terminal_since or now
    if now - since <= timedelta(seconds=knob("HDM_FILE_APPEAR_TIMEOUT_S")):
        return Wait(now + poll_delay(), fields={**fields, "transfer_terminal_since": since})
    wrong = _wrong_size_file(transfer)
    if wrong is not None:
        return _wrong_size_delivered(job, transfer, wrong, client=client)
    return Retry(
        "disk",
        "file_missing",
        f"slskd reports {transfer.filename!r} complete but no file of {transfer.size} bytes "
        "appeared in DOWNLOADS_DIR (check the slskd path mapping and permissions)",
    )


def _wrong_size_file(transfer: Transfer) -> Path | None:
    """The delivered file at its mapped path but of another size than slskd reported."""
    try:
        # A bare remote name carries no size: any size is found.
        return paths.local_path_for(transfer.filename)
    except (paths.DownloadedFileMissing, paths.UnsafeDownloadPath):
        return None


def _wrong_size_delivered(job: Job, transfer: Transfer, path: Path, *, client) -> Outcome:
    """A file of the wrong size is this candidate's failure, not the disk's: quarantine it,
    never download that copy again, and try the next candidate at once."""
    from library.quarantine import quarantine_file

    actual = path.stat().st_size
    detail = f"slskd reported {transfer.size} bytes delivered, the file has {actual}"
    quarantine_file(path, reason="wrong_size", detail=detail)
    candidate = job.current_candidate
    block_candidate(candidate, reason="wrong_size", detail=detail)
    logger.warning(
        "hdm.download.wrong_size",
        extra={"job_id": job.pk, "peer": candidate.username, "bytes": actual},
    )
    return _retire_candidate(
        job, candidate, reason="wrong_size", detail=detail, client=client, penalise=False
    )


def find_delivered_file(transfer: Transfer) -> Path | None:
    """The delivered file under DOWNLOADS_DIR (mapped name or slskd's collision rename, of the
    reported size), or None while it has not appeared."""
    try:
        return paths.local_path_for(transfer)
    except paths.DownloadedFileMissing:
        return None


def _retire_candidate(
    job: Job,
    candidate: Candidate,
    *,
    reason: str,
    detail: str = "",
    client=None,
    penalise: bool = True,
) -> Outcome:
    if client is not None:
        cancel_transfer(
            job.transfer_username, job.transfer_id, client=client, job_id=job.pk, reason=reason
        )
    if not penalise:
        _fail_candidate(candidate, reason=reason, detail=detail)
        return Wait(
            timezone.now(),
            reason="candidate_failed",
            details={"reason": reason},
            fields=transfer_cleared(),
        )
    return peer_failed(job, candidate, reason=reason, detail=detail)


def peer_failed(job: Job, candidate: Candidate, *, reason: str, detail: str = "") -> Outcome:
    """Record the peer's failure, drop this candidate and move on to the next one."""
    _fail_candidate(candidate, reason=reason, detail=detail)
    stat = peers.record_peer_failure(candidate.username, reason=reason)
    logger.info(
        "hdm.download.failed",
        extra={"job_id": job.pk, "peer": candidate.username, "reason": reason},
    )
    return Wait(
        timezone.now() + timedelta(seconds=knob("HDM_BACKOFF_PEER_S")),
        reason="candidate_failed",
        details={
            "candidate_id": candidate.pk,
            "peer": candidate.username,
            "reason": reason,
            "detail": detail[:500],
            "peer_excluded": stat.excluded_until is not None
            and stat.excluded_until > timezone.now(),
        },
        fields=transfer_cleared(),
    )


def cancel_transfer(
    username: str, transfer_id: str, *, client=None, job_id: int | None = None, reason: str = ""
) -> None:
    """Cancel a transfer in slskd and remove its record once finished.

    slskd cancels asynchronously and removes only finished records, so a transfer that is not
    `Completed` yet (or an slskd that did not answer) is left to the sweeper's clean-up pass
    (`TransferCleanup`, `clean_up_transfers`).
    """
    client = client or clients.slskd_client()
    try:
        client.cancel_download(username, transfer_id)
        if client.remove_if_finished(username, transfer_id):
            return
    except ProviderError as exc:
        logger.warning(
            "hdm.download.cancel_failed",
            extra={"peer": username, "transfer_id": transfer_id, "error": str(exc)},
        )
    TransferCleanup.objects.get_or_create(
        username=username,
        transfer_id=transfer_id,
        defaults={"job_id": job_id, "reason": reason[:64]},
    )


def clean_up_transfers(*, client=None, limit: int = 200) -> list[str]:
    """Remove the records of transfers Harmony cancelled once slskd has finished them.

    Each pending transfer is cancelled again (idempotent in slskd) and removed when it reports
    a `Completed` state or is gone; one that never finishes is given up after
    HDM_TRANSFER_CLEANUP_MAX_CHECKS sweeps. Returns the ids removed.
    """
    pending = list(TransferCleanup.objects.order_by("created_at")[:limit])
    if not pending:
        return []
    client = client or clients.slskd_client()
    removed = []
    for row in pending:
        if _clean_up_one(client, row):
            removed.append(row.transfer_id)
    return removed


def _clean_up_one(client, row: TransferCleanup) -> bool:
    extra = {"peer": row.username, "transfer_id": row.transfer_id, "job_id": row.job_id}
    try:
        client.cancel_download(row.username, row.transfer_id)
        finished = client.remove_if_finished(row.username, row.transfer_id)
    except ProviderError as exc:
        finished, row.last_error = False, str(exc)[:2000]
    if finished:
        row.delete()
        logger.info("hdm.download.removed", extra=extra)
        return True
    row.checks += 1
    if row.checks >= knob("HDM_TRANSFER_CLEANUP_MAX_CHECKS"):
        row.delete()
        logger.warning("hdm.download.cleanup_abandoned", extra={**extra, "checks": row.checks})
        return False
    row.save(update_fields=["checks", "last_error"])
    return False
