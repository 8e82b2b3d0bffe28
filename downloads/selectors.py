"""Reads of download jobs for the API, the UI and the admin.

Writes live in `jobs/state.py`, `submit.py` and `actions.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.shortcuts import get_object_or_404

from downloads import clients
from downloads.models import (
    LIVE_STATES,
    TERMINAL_STATES,
    WORKING_STATES,
    Candidate,
    CandidateBlock,
    Job,
    JobEvent,
    JobScope,
    JobState,
)
from providers.slskd.types import Transfer

DEFAULT_ORDERING = ("-priority", "created_at", "id")  # the order the queue runs in


def job_list(
    *,
    states: list[str] | None = None,
    kinds: list[str] | None = None,
    scope: str = "",
    parent: int | None = None,
    text: str = "",
    ordering: str = "",
) -> QuerySet[Job]:
    """Jobs for a list page: no related rows are touched, so a page costs the same queries."""
    jobs = Job.objects.all()
    if states:
        jobs = jobs.filter(state__in=states)
    if kinds:
        jobs = jobs.filter(kind__in=kinds)
    if scope:
        jobs = jobs.filter(scope=scope)
    if parent is not None:
        jobs = jobs.filter(parent_id=parent)
    if text:
        jobs = jobs.filter(Q(label__icontains=text) | Q(wanted_key__icontains=text))
    return jobs.order_by(*((ordering, "id") if ordering else DEFAULT_ORDERING))


def job_detail(job_id: int) -> Job:
    """One job with its timeline and candidates (best rank first, rejected last); 404 if none."""
    # Explicit NULLS LAST: SQLite and PostgreSQL disagree on where unranked (rejected) rows go.
    candidates = Candidate.objects.order_by(F("rank").asc(nulls_last=True), "id")
    query = Job.objects.select_related("library_file").prefetch_related(
        Prefetch("events", queryset=JobEvent.objects.order_by("at", "id")),
        Prefetch("candidates", queryset=candidates),
    )
    return get_object_or_404(query, pk=job_id)


def children_summary(job: Job) -> dict[str, Any] | None:
    """A parent's children counted by state; None for a track job."""
    if job.scope == "track":
        return None
    rows = job.children.values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


# --- UI panels (dashboard, downloads page) ---------------------------------------------------


def job_counts_by_state() -> dict[str, int]:
    """Track jobs counted by state, every state listed (zeros included): one query."""
    counts = dict.fromkeys(JobState.values, 0)
    rows = Job.objects.filter(scope=JobScope.TRACK).values("state").annotate(n=Count("id"))
    for row in rows:
        counts[row["state"]] = row["n"]
    return counts


def throughput_since(since: datetime) -> dict[str, int]:
    """Track jobs finished since `since`, by final state, plus the bytes they delivered."""
    finished = Job.objects.filter(
        scope=JobScope.TRACK, finished_at__gte=since, state__in=TERMINAL_STATES
    )
    rows = finished.values("state").annotate(n=Count("id"), size=Sum("bytes_total"))
    totals = {"done": 0, "dead": 0, "cancelled": 0, "bytes": 0}
    for row in rows:
        totals[row["state"]] = row["n"]
        if row["state"] == JobState.DONE:
            totals["bytes"] = row["size"] or 0
    return totals


def active_transfers() -> QuerySet[Job]:
    """Track jobs with a transfer in slskd right now, in queue order."""
    return (
        Job.objects.filter(scope=JobScope.TRACK, state=JobState.DOWNLOADING)
        .exclude(transfer_id="")
        .select_related("current_candidate")
        .order_by(*DEFAULT_ORDERING)
    )


def waiting_jobs() -> QuerySet[Job]:
    """Live track jobs without a running transfer, in the order the queue runs them."""
    live = Job.objects.filter(scope=JobScope.TRACK, state__in=LIVE_STATES)
    return live.exclude(state=JobState.DOWNLOADING, transfer_id__gt="").order_by(*DEFAULT_ORDERING)


def finished_jobs(
    *, states: list[str] | None = None, kind: str = "", text: str = ""
) -> QuerySet[Job]:
    """Final jobs (done, cancelled, dead), newest first, optionally filtered; a parent carries
    its tracks' outcome (`children_done`, `children_dead`, `children_total`)."""
    jobs = job_list(
        states=states or list(TERMINAL_STATES), kinds=[kind] if kind else None, text=text
    )
    return jobs.annotate(
        children_total=Count("children"),
        children_done=Count("children", filter=Q(children__state=JobState.DONE)),
        children_dead=Count("children", filter=Q(children__state=JobState.DEAD)),
    ).order_by("-finished_at", "-id")


def live_transfers(jobs: list[Job]) -> dict[tuple[str, str], Transfer]:
    """slskd's own view of these jobs' transfers (bytes, speed, state), fresher than the rows
    the HDM writes at each poll; {} when slskd cannot answer.

    Best effort with short timeouts and no retries: a slow slskd must not stall the page.
    """
    from dataclasses import replace

    from providers.errors import ProviderError
    from providers.slskd.client import SlskdClient, load_slskd_config

    wanted = {(job.transfer_username, job.transfer_id) for job in jobs if job.transfer_id}
    config = load_slskd_config()
    if not wanted or not config.configured:
        return {}
    config = replace(config, connect_timeout=1.0, read_timeout=2.0, max_retries=0)
    client = SlskdClient.from_config(config)
    try:
        transfers = client.list_downloads()
    except ProviderError:
        return {}
    finally:
        client.close()
    return {(t.username, t.id): t for t in transfers if (t.username, t.id) in wanted}


def sync_outcomes(sync_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per watchlist sync, how the jobs of what it found new are doing now (one query).

    `queued` counts jobs still on their way, `failed` those waiting for a retry or dead, so
    the watchlist page can say "new 4, owned 1, queued 2, failed 1" and link to the jobs.
    """
    from downloads.models import WatchlistItem

    outcomes = {sync_id: {"done": 0, "queued": 0, "failed": 0} for sync_id in sync_ids}
    rows = (
        WatchlistItem.objects.filter(sync_id__in=sync_ids, job__isnull=False)
        .values("sync_id", "job__state")
        .annotate(count=Count("id"))
    )
    for row in rows:
        bucket = _outcome_of(row["job__state"])
        if bucket:
            outcomes[row["sync_id"]][bucket] += row["count"]
    return outcomes


def _outcome_of(state: str) -> str | None:
    if state == JobState.DONE:
        return "done"
    if state in (JobState.FAILED, JobState.DEAD):
        return "failed"
    return "queued" if state in WORKING_STATES else None  # cancelled: a person chose that


def sync_items(sync_id: int) -> QuerySet[Any]:
    """What one watchlist sync found new, with each item's job (for the sync's page)."""
    from downloads.models import WatchlistItem

    return (
        WatchlistItem.objects.filter(sync_id=sync_id)
        .select_related("job", "library_file")
        .order_by("position", "id")
    )


def search_spotify(query: str) -> tuple[list[Any], str]:
    """Spotify's tracks for `query` (up to 10), or no tracks and the error to show."""
    from providers.errors import ProviderError

    try:
        return clients.spotify_client().search(query, limit=10), ""
    except ProviderError as exc:
        return [], f"Spotify search failed: {exc}"


def blocked_files(*, text: str = "") -> QuerySet[CandidateBlock]:
    """The candidate blocklist, newest first, optionally filtered by peer or path."""
    blocks = CandidateBlock.objects.order_by("-created_at", "-id")
    if text:
        blocks = blocks.filter(Q(username__icontains=text) | Q(filename__icontains=text))
    return blocks


def missing_wanted() -> QuerySet[Job]:
    """Wanted tracks not in the library yet: the latest track job of each wanted item that has
    no finished (`done`) job, unless a person cancelled it. Stuck ones first."""
    delivered = Job.objects.filter(scope=JobScope.TRACK, state=JobState.DONE)
    latest = Job.objects.filter(scope=JobScope.TRACK, wanted_key=OuterRef("wanted_key")).order_by(
        "-created_at", "-id"
    )
    return (
        Job.objects.filter(scope=JobScope.TRACK, pk=Subquery(latest.values("pk")[:1]))
        .exclude(wanted_key__in=delivered.values("wanted_key"))
        .exclude(state=JobState.CANCELLED)
        .order_by(Case(*_WANTED_ORDER, default=Value(9)), "-priority", "created_at", "id")
    )


# Dead first (someone must act), then waiting to retry, then the ones still working.
_WANTED_ORDER = (
    When(state=JobState.DEAD, then=Value(0)),
    When(state=JobState.FAILED, then=Value(1)),
)
