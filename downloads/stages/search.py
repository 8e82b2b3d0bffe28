"""The searching stage: spend the shared budget, search slskd, harvest, rank, delete the search.

Each call does one short step and returns: create a search (under an id Harmony chose and
recorded first), or poll it once, or harvest it. Polls come back as `Wait` outcomes, so a search
never holds a worker while slskd collects responses.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from downloads import clients
from downloads.jobs.conf import knob
from downloads.jobs.outcomes import Advance, Outcome, Wait
from downloads.jobs.state import update_claimed
from downloads.matching import ranking
from downloads.models import Candidate, CandidateBlock, Job, JobState, SlskdSearch
from downloads.models import file_key as make_file_key
from downloads.stages import budget, peers
from downloads.wanted import meta_from_dict
from providers.errors import ProviderError, ProviderNotFound, ProviderUnavailable
from providers.slskd.types import PeerResponse

logger = logging.getLogger("hdm.search")

# Rejected files are stored for the "why not this one?" view; a popular query can return tens
# of thousands, so keep the first few hundred per search.
MAX_REJECTED_STORED = 500


def match_config() -> ranking.MatchConfig:
    """The matcher's knobs (defaults until the MATCH_* knobs are declared)."""
    from harmony_site.config import KNOBS_BY_NAME

    if "MATCH_DURATION_TOLERANCE_S" in KNOBS_BY_NAME:
        return ranking.MatchConfig.from_config()
    return ranking.MatchConfig()


def poll_delay() -> timedelta:
    return timedelta(seconds=knob("HDM_POLL_INTERVAL_S"))


Harvest = Callable[[Job, SlskdSearch, Sequence[PeerResponse]], Outcome]


def run_searching(job: Job) -> Outcome:
    """One step of the searching stage for a claimed job."""
    if job.query_index >= len(job.queries) and job.current_search_id is None:
        return queries_exhausted(job)
    return search_step(job, harvest=harvest_track)


def search_step(job: Job, *, harvest: Harvest) -> Outcome:
    """Start the job's current query, or poll its open search and hand the responses to
    `harvest` (a track's ranking, or album mode's folder choice)."""
    client = clients.slskd_client()
    if job.current_search_id is not None:
        return _poll(job, client, SlskdSearch.objects.get(pk=job.current_search_id), harvest)
    grant = budget.search_allowed()
    if not grant.granted:
        return _deferred(job, grant)
    return _start(job, client, job.queries[job.query_index])


def _deferred(job: Job, grant: budget.Grant) -> Outcome:
    logger.info("hdm.search.deferred", extra={"job_id": job.pk, "reason": grant.reason})
    return Wait(grant.retry_at)


def _start(job: Job, client, text: str) -> Outcome:
    # Recorded before the POST: a crash right after it still finds (and deletes) the search.
    search = SlskdSearch.objects.create(id=uuid.uuid4(), job=job, query=text)
    if not update_claimed(job, current_search=search):
        return Wait(timezone.now())
    try:
        client.create_search(
            text,
            search_id=str(search.id),
            search_timeout_ms=knob("HDM_SEARCH_TIMEOUT_MS"),
            # slskd drops peers with queueLength >= value: 51 keeps queues of up to 50.
            maximum_peer_queue_length=match_config().max_queue_length + 1,
            before_send=budget.spend_search,  # the budget is spent as each POST goes out
        )
    except budget.SearchDeferred as deferred:
        # Nothing reached slskd (a refused first attempt, or a retry after its 429, which
        # slskd did not process): the row goes, the job waits for the budget.
        update_claimed(job, current_search=None)
        search.delete()
        return _deferred(job, deferred.grant)
    except ProviderError as exc:
        _close(job, search, state=SlskdSearch.State.FAILED)
        if isinstance(exc, ProviderUnavailable) and _pause_if_logged_out(client, exc):
            return Wait(timezone.now() + poll_delay(), reason="search_paused")
        raise
    logger.info("hdm.search.started", extra={"job_id": job.pk, "search_id": str(search.id)})
    return Wait(
        timezone.now() + poll_delay(),
        reason="search_started",
        details={"query": text, "search_id": str(search.id)},
    )


def _pause_if_logged_out(client, exc: ProviderError) -> bool:
    """slskd refuses searches while logged out (kick or ban): pause every worker's searching."""
    text = str(exc).lower()
    try:
        logged_in = client.server_state().is_logged_in
    except ProviderError:
        logged_in = True  # slskd itself is down: an ordinary provider retry, not a pause
    if "ban" in text:
        budget.pause_searches(seconds=knob("HDM_SEARCH_BAN_PAUSE_S"), reason=str(exc), ban=True)
        return True
    if exc.status == 409 or not logged_in:
        budget.pause_searches(
            seconds=knob("HDM_SEARCH_LOGGED_OUT_PAUSE_S"), reason="slskd is not logged in"
        )
        return True
    return False


def _close(job: Job, search: SlskdSearch, *, state: str) -> None:
    SlskdSearch.objects.filter(pk=search.pk).update(state=state)
    update_claimed(job, current_search=None)


def _poll(job: Job, client, search: SlskdSearch, harvest: Harvest) -> Outcome:
    now = timezone.now()
    responses: Sequence[PeerResponse] = ()
    if search.state == SlskdSearch.State.CREATED:
        try:
            found = client.get_search(str(search.id))
        except ProviderNotFound:
            # Never created (crash before the POST) or lost in a slskd restart: search again.
            _close(job, search, state=SlskdSearch.State.FAILED)
            return Wait(now, reason="search_lost", details={"search_id": str(search.id)})
        if not found.responses_ready:
            _stop_if_overdue(client, search, now=now)
            return Wait(now + poll_delay())
        responses = client.get_search_responses(str(search.id))
    # Harvest before the delete: a crash in between re-reads the responses from slskd. A
    # search already harvested (a redelivery after the delete failed) harvests nothing new.
    try:
        outcome = harvest(job, search, responses)
    except Exception:
        _discard(client, job, search)
        raise
    _delete(client, search)
    update_claimed(job, current_search=None)
    return outcome


def _discard(client, job: Job, search: SlskdSearch) -> None:
    """A harvest that raised: delete the search all the same (slskd keeps it forever
    otherwise); the retry searches the same query again."""
    _delete(client, search)
    update_claimed(job, current_search=None)


def harvest_track(job: Job, search: SlskdSearch, responses: Sequence[PeerResponse]) -> Outcome:
    """A track's search: store every candidate (if not yet), then download or search again."""
    if search.state == SlskdSearch.State.CREATED:
        store_candidates(job, search, responses)
    return after_harvest(job, search)


def _stop_if_overdue(client, search: SlskdSearch, *, now) -> None:
    overdue = now - search.created_at > timedelta(seconds=knob("HDM_SEARCH_MAX_WAIT_S"))
    if overdue and search.stopped_at is None:
        client.stop_search(str(search.id))
        SlskdSearch.objects.filter(pk=search.pk).update(stopped_at=now)


def _delete(client, search: SlskdSearch) -> None:
    """slskd keeps every search forever unless told: delete each one after harvesting it."""
    with contextlib.suppress(ProviderNotFound):  # already gone: a redelivery deleted it
        client.delete_search(str(search.id))
    SlskdSearch.objects.filter(pk=search.pk).update(state=SlskdSearch.State.DELETED)


def store_candidates(job: Job, search: SlskdSearch, responses: Sequence[PeerResponse]) -> int:
    """Rank every offered file and store it (score breakdown or rejection). Returns #ranked."""
    from library import quality

    wanted = meta_from_dict(job.wanted)
    result = ranking.rank_candidates(
        wanted,
        list(responses),
        profile=quality.QualityProfile.from_config(),
        peer_stats=peers.peer_stats_for(r.username for r in responses),
        blocklist=blocked_keys(responses),
        config=match_config(),
    )
    offset = max(job.candidates.exclude(rank=None).values_list("rank", flat=True), default=0)
    rows = [
        ranked_candidate(job, search, item, offset + i) for i, item in enumerate(result.ranked, 1)
    ]
    rows += [_rejected_row(job, search, item) for item in result.rejected[:MAX_REJECTED_STORED]]
    with transaction.atomic():
        # A file seen in an earlier search keeps its row (and its failed state): a failed
        # candidate is never retried in the same job.
        Candidate.objects.bulk_create(rows, ignore_conflicts=True, batch_size=200)
        SlskdSearch.objects.filter(pk=search.pk).update(
            state=SlskdSearch.State.HARVESTED,
            harvested_at=timezone.now(),
            response_count=len(responses),
            file_count=sum(len(r.files) for r in responses),
        )
    logger.info(
        "hdm.search.harvested",
        extra={"job_id": job.pk, "ranked": len(result.ranked), "rejected": len(result.rejected)},
    )
    return len(result.ranked)


def blocked_keys(responses: Sequence[PeerResponse]) -> set[tuple[str, str, int]]:
    offered = {
        make_file_key(r.username, f.filename, f.size): (r.username, f.filename, f.size)
        for r in responses
        for f in r.files
    }
    blocked = CandidateBlock.objects.filter(key__in=list(offered)).values_list("key", flat=True)
    return {offered[key] for key in blocked}


def file_attributes(peer_file) -> dict:
    return {
        "extension": peer_file.extension,
        "bit_rate": peer_file.bit_rate,
        "bit_depth": peer_file.bit_depth,
        "sample_rate": peer_file.sample_rate,
        "length": peer_file.length,
        "is_variable_bit_rate": peer_file.is_variable_bit_rate,
    }


def ranked_candidate(
    job: Job, search: SlskdSearch, item: ranking.Ranked, rank: int, **extra_score: object
) -> Candidate:
    """An unsaved Candidate row for a ranked file, its score breakdown kept for the UI/API."""
    return Candidate(
        job=job,
        search=search,
        key=make_file_key(item.username, item.filename, item.size),
        username=item.username,
        filename=item.filename,
        size=item.size,
        attributes=file_attributes(item.file),
        score={"score": item.score, **item.breakdown, **extra_score},
        rank=rank,
        state=Candidate.State.PENDING,
    )


def _rejected_row(job: Job, search: SlskdSearch, item: ranking.Rejected) -> Candidate:
    return Candidate(
        job=job,
        search=search,
        key=make_file_key(item.username, item.filename, item.size),
        username=item.username,
        filename=item.filename,
        size=item.size,
        score={"detail": item.detail},
        rejection=str(item.reason),
        state=Candidate.State.REJECTED,
    )


def after_harvest(job: Job, search: SlskdSearch) -> Outcome:
    """Candidates → download them; none → the next fallback query, or give up."""
    pending = job.candidates.filter(state=Candidate.State.PENDING).count()
    if pending:
        return Advance(
            JobState.DOWNLOADING,
            "candidates_found",
            details={"pending": pending, "query": search.query},
        )
    return Wait(
        timezone.now(),
        reason="no_match",
        details={"query": search.query},
        fields={"query_index": job.query_index + 1},
    )


def queries_exhausted(job: Job) -> Outcome:
    from downloads.stages.download import dead_after_failures  # download imports this module

    return dead_after_failures(job)
