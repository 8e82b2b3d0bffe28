"""Prometheus metrics of the download manager, exposed on `/api/v1/metrics`.

Two kinds, because jobs run in the task cluster and the metrics are scraped from the web
workers:

- *State* (jobs by state, the DLQ by reason, the search budget, bytes in flight, watchlists)
  is read from the database at scrape time by `HdmCollector`, so every process answers the same
  and nothing is lost when a worker restarts.
- *Events* (stage durations, transfer bytes, candidates tried per job, transitions) are
  observed in the process that runs the stage, from the job timeline (`record_transition`,
  connected to `JobEvent` saves in downloads/signals.py). Under `harmony_serve` every process
  writes to PROMETHEUS_MULTIPROC_DIR and the scrape sums them; a process started by hand
  without that directory only reports its own observations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import Count, Q, Sum
from prometheus_client import Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from downloads.models import (
    Candidate,
    DeadReason,
    Job,
    JobEvent,
    JobKind,
    JobState,
    Watchlist,
)

logger = logging.getLogger("hdm.metrics")

STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
TRIED_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 30, 50)

STAGE_SECONDS = Histogram(
    "harmony_hdm_stage_duration_seconds",
    "Seconds a job spent in a stage (state), observed when it leaves the stage.",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
TRANSITIONS = Counter(
    "harmony_hdm_job_transitions",
    "Job state transitions by target state.",
    ["to_state"],
)
TRANSFER_BYTES = Counter(
    "harmony_hdm_transfer_bytes",
    "Bytes of completed slskd downloads.",
)
CANDIDATES_TRIED = Histogram(
    "harmony_hdm_candidates_tried",
    "Candidates downloaded per job that finished (done or dead).",
    ["outcome"],
    buckets=TRIED_BUCKETS,
)
WATCHLIST_SYNCS = Counter(
    "harmony_hdm_watchlist_syncs",
    "Watchlist syncs by kind and result.",
    ["kind", "status"],
)

_TRIED_STATES = (Candidate.State.FAILED, Candidate.State.CHOSEN, Candidate.State.TRYING)


def record_transition(event: JobEvent) -> None:
    """Observe one timeline event (called after its transaction commits)."""
    if not event.to_state or event.from_state == event.to_state:
        return  # a note within a state (a poll, a wait), not a transition
    TRANSITIONS.labels(to_state=event.to_state).inc()
    if event.reason == "download_completed":
        TRANSFER_BYTES.inc(int(event.details.get("bytes") or 0))
    if event.from_state:
        _observe_stage(event)
    if event.to_state in (JobState.DONE, JobState.DEAD):
        tried = Candidate.objects.filter(job_id=event.job_id, state__in=_TRIED_STATES).count()
        CANDIDATES_TRIED.labels(outcome=event.to_state).observe(tried)


def _observe_stage(event: JobEvent) -> None:
    """Time since the job entered `from_state` (its latest earlier event into that state)."""
    entered = (
        JobEvent.objects.filter(job_id=event.job_id, to_state=event.from_state, id__lt=event.pk)
        .order_by("-id")
        .values_list("at", flat=True)
        .first()
    )
    if entered is not None:
        seconds = max((event.at - entered).total_seconds(), 0.0)
        STAGE_SECONDS.labels(stage=event.from_state).observe(seconds)


class HdmCollector(Collector):
    """Job, DLQ, budget and watchlist state, read from the database at each scrape."""

    def describe(self) -> Iterator[Metric]:
        # Without describe() the registry would call collect() — query the database — at
        # import time, before migrations may even have run.
        for name in (
            "harmony_hdm_jobs",
            "harmony_hdm_transfer_bytes_in_flight",
            "harmony_hdm_dlq_jobs",
            "harmony_hdm_search_budget_used",
            "harmony_hdm_search_budget_limit",
            "harmony_hdm_searches_paused",
            "harmony_hdm_watchlists",
        ):
            yield GaugeMetricFamily(name, "")
        yield CounterMetricFamily("harmony_hdm_searches", "")

    def collect(self) -> Iterator[Metric]:
        for part in (self._jobs, self._dlq, self._budget, self._watchlists):
            try:
                # Built in full before yielding, so a failing part adds nothing half-made.
                families = list(part())
            except Exception:  # a scrape must still answer when the database is away
                logger.exception("hdm.metrics.collect_failed", extra={"part": part.__name__})
                continue
            yield from families

    def _jobs(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "harmony_hdm_jobs",
            "Jobs by state (stage), kind and scope; final states count jobs still stored.",
            labels=["state", "kind", "scope"],
        )
        counts = {
            (row["state"], row["kind"], row["scope"]): row["n"]
            for row in Job.objects.values("state", "kind", "scope").annotate(n=Count("id"))
        }
        # Every state × kind of tracks is always present, so dashboards see zeros, not gaps.
        for state in JobState.values:
            for kind in JobKind.values:
                counts.setdefault((state, kind, "track"), 0)
        for (state, kind, scope), n in sorted(counts.items()):
            jobs.add_metric([state, kind, scope], n)
        yield jobs
        active = Job.objects.filter(state=JobState.DOWNLOADING).aggregate(
            n=Sum("bytes_transferred")
        )
        yield GaugeMetricFamily(
            "harmony_hdm_transfer_bytes_in_flight",
            "Bytes received so far by transfers still downloading.",
            value=active["n"] or 0,
        )

    def _dlq(self) -> Iterator[Metric]:
        from downloads.actions import dlq_stats

        family = GaugeMetricFamily(
            "harmony_hdm_dlq_jobs", "Dead-lettered jobs by reason code.", labels=["reason"]
        )
        stats = dlq_stats()
        for reason in (*DeadReason.values, *set(stats["by_reason"]) - set(DeadReason.values)):
            family.add_metric([reason], stats["by_reason"].get(reason, 0))
        yield family

    def _budget(self) -> Iterator[Metric]:
        from downloads.stages.budget import budget_status

        status = budget_status()
        yield GaugeMetricFamily(
            "harmony_hdm_search_budget_used",
            "Searches made in the current budget window (all workers).",
            value=status["used"],
        )
        yield GaugeMetricFamily(
            "harmony_hdm_search_budget_limit",
            "Searches allowed per window (HDM_SEARCH_BUDGET).",
            value=status["budget"],
        )
        yield GaugeMetricFamily(
            "harmony_hdm_searches_paused",
            "1 while searching is paused (ban or logged out), else 0.",
            value=1 if status["paused_until"] else 0,
        )
        yield CounterMetricFamily(
            "harmony_hdm_searches",
            "Searches made since the database was created.",
            value=status["searches_total"],
        )

    def _watchlists(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "harmony_hdm_watchlists",
            "Watchlists by kind and health (enabled, failing, disabled).",
            labels=["kind", "health"],
        )
        rows = (
            Watchlist.objects.order_by()
            .values("kind")
            .annotate(
                # Annotation names must differ from the `enabled` field the filters read.
                n_enabled=Count("id", filter=Q(enabled=True, consecutive_failures=0)),
                n_failing=Count("id", filter=Q(enabled=True, consecutive_failures__gt=0)),
                n_disabled=Count("id", filter=Q(enabled=False)),
            )
        )
        by_kind = {row["kind"]: row for row in rows}
        for kind in Watchlist.Kind.values:
            row = by_kind.get(kind, {})
            for health in ("enabled", "failing", "disabled"):
                family.add_metric([kind, health], row.get(f"n_{health}", 0))
        yield family


COLLECTOR = HdmCollector()


def register() -> None:
    """Expose the scrape-time collector (called once from the app's ready())."""
    from harmony_site.scrape import register_scrape_collector

    register_scrape_collector(COLLECTOR)
