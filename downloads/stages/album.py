"""Album mode: an album request searches the album once and takes one peer's folder.

The parent job of an album request (scope `album`) runs two stages of its own before its
tracks do: `queued` (waits HDM_ALBUM_COLLECT_S so every track of the request is submitted, then
builds the album queries) and `searching` (one slskd search per album query, harvested by
`matching.albums.choose_album_folder`). The chosen folder's files become each matched track's
first candidate; the tracks then run as usual, going straight to `downloading` when they hold
such a candidate and searching on their own only for what the folder lacks (or when its file
fails). Non-audio files in the folder (.nfo, .cue, images) are never downloaded and never gate
completion. Album mode only saves searches: when it fails, every track simply searches alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from downloads.jobs.outcomes import Advance, Outcome, Wait
from downloads.jobs.queue import enqueue_job
from downloads.matching import queries
from downloads.matching.albums import choose_album_folder
from downloads.models import Job, JobScope, JobState, SlskdSearch
from downloads.stages.search import match_context, ranked_candidate, save_harvest, search_step
from downloads.wanted import meta_from_dict, meta_label
from harmony_site.config import knob
from providers.errors import ProviderError
from providers.slskd.types import PeerResponse

logger = logging.getLogger("hdm.album")

# The parent's own stages; after them it waits in `downloading` for its tracks.
ALBUM_PHASE = (JobState.QUEUED, JobState.SEARCHING)
# Tracks still waiting for the album search (none has started a search of its own).
_WAITING = (JobState.QUEUED, JobState.MATCHING)


def in_album_phase(parent: Job | None) -> bool:
    """True while an album parent still searches for a folder (its tracks wait for it)."""
    if parent is None or parent.scope != JobScope.ALBUM:
        return False
    state = parent.retry_state if parent.state == JobState.FAILED else parent.state
    return state in ALBUM_PHASE


def child_wait() -> Wait:
    """A track waits for its album's search; the parent wakes it, this is only a safety net."""
    until = timezone.now() + timedelta(seconds=knob("HDM_SEARCH_MAX_WAIT_S"))
    return Wait(until, reason="waiting_for_album")


def run_album_queued(job: Job) -> Outcome:
    """Let the request's tracks be submitted (HDM_ALBUM_COLLECT_S), then build the album
    queries. A track submitted later simply searches on its own."""
    collect_until = job.created_at + timedelta(seconds=knob("HDM_ALBUM_COLLECT_S"))
    if timezone.now() < collect_until:
        return Wait(collect_until)
    waiting = list(_waiting_children(job)[:1])
    texts = queries.build_album_queries(meta_from_dict(waiting[0].wanted)) if waiting else []
    if not texts:
        return _skip(job, "no track waits for an album search" if not waiting else "no album")
    return Advance(
        JobState.SEARCHING,
        "album_queries_built",
        details={"queries": texts},
        fields={"queries": texts, "query_index": 0},
    )


def run_album_searching(job: Job) -> Outcome:
    """One step of the album search; no folder for any query → the tracks search alone."""
    if job.current_search_id is None and job.query_index >= len(job.queries):
        return Advance(
            JobState.DOWNLOADING, "album_folder_not_found", details={"queries": job.queries}
        )
    try:
        return search_step(job, harvest=harvest_album)
    except ProviderError as exc:
        return _skip(job, f"album search failed: {exc}")


def _skip(job: Job, why: str) -> Outcome:
    logger.info("hdm.album.skipped", extra={"job_id": job.pk, "reason": why})
    return Advance(
        JobState.DOWNLOADING,
        "album_mode_skipped",
        details={"reason": why[:500]},
        fields={"current_search": None},
    )


def _waiting_children(parent: Job):
    return parent.children.filter(scope=JobScope.TRACK, state__in=_WAITING).order_by("pk")


def harvest_album(job: Job, search: SlskdSearch, responses: Sequence[PeerResponse]) -> Outcome:
    """Choose one peer's folder for the waiting tracks and give each matched track its file."""
    if search.state != SlskdSearch.State.CREATED:
        return Advance(JobState.DOWNLOADING, "album_harvested")  # a redelivery: done before
    children = list(_waiting_children(job))
    metas = [meta_from_dict(child.wanted) for child in children]
    choice = choose_album_folder(metas, list(responses), **match_context(responses))
    owner = {id(meta): child for meta, child in zip(metas, children, strict=True)}
    rows = [
        ranked_candidate(owner[id(meta)], search, ranked, 1, album_folder=choice.directory or "")
        for meta, ranked in choice.matches
    ]
    save_harvest(search, responses, rows)
    if choice.username is None:
        return Wait(
            timezone.now(),
            reason="no_album_folder",
            details={"query": search.query, "folders_considered": choice.folders_considered},
            fields={"query_index": job.query_index + 1},
        )
    logger.info(
        "hdm.album.folder_chosen",
        extra={"job_id": job.pk, "peer": choice.username, "matched": len(choice.matches)},
    )
    return Advance(
        JobState.DOWNLOADING,
        "album_folder_chosen",
        details={
            "peer": choice.username,
            "folder": choice.directory,
            "matched": len(choice.matches),
            "missing": [meta_label(meta) for meta in choice.missing],
            "extras_ignored": len(choice.extras),
            "folders_considered": choice.folders_considered,
        },
    )


def release_children(parent: Job) -> list[int]:
    """The album search is over: send the tracks that waited for it (now, not at their
    safety-net time)."""
    now = timezone.now()
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    ids = list(_waiting_children(parent).filter(free).values_list("pk", flat=True))
    Job.objects.filter(pk__in=ids).update(next_attempt_at=None, updated_at=now)
    for pk in ids:
        enqueue_job(pk)
    return ids
