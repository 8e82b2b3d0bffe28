"""The HDM's Prometheus series on /api/v1/metrics: state from the database, stage events."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from downloads import metrics, submit
from downloads.jobs import state
from downloads.models import DeadReason, JobState
from tests.downloads.conftest import make_meta
from tests.downloads.ops import api_client, dead_job, no_dispatch  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("hdm", "no_dispatch"),
]


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_endpoint_exposes_every_hdm_series():
    submit.submit_wanted(make_meta(1), kind="manual", actor="t")
    submit.submit_wanted(make_meta(2), kind="watchlist", actor="t")
    dead_job(3, reason=DeadReason.DISK_ERROR)
    response = api_client("viewer").get("/api/v1/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    for series in (
        "harmony_hdm_jobs",
        "harmony_hdm_dlq_jobs",
        "harmony_hdm_search_budget_used",
        "harmony_hdm_search_budget_limit",
        "harmony_hdm_searches_paused",
        "harmony_hdm_searches_total",
        "harmony_hdm_transfer_bytes_in_flight",
        "harmony_hdm_transfer_bytes_total",
        "harmony_hdm_stage_duration_seconds_bucket",
        "harmony_hdm_candidates_tried_bucket",
        "harmony_hdm_job_transitions_total",
        "harmony_hdm_watchlists",
    ):
        assert series in text, series
    samples = _samples(text)
    assert _value(samples, "harmony_hdm_jobs", state="queued", kind="manual", scope="track") == 1
    assert _value(samples, "harmony_hdm_jobs", state="queued", kind="watchlist", scope="track") == 1
    assert _value(samples, "harmony_hdm_jobs", state="dead", kind="manual", scope="track") == 1
    assert _value(samples, "harmony_hdm_jobs", state="done", kind="backfill", scope="track") == 0
    assert _value(samples, "harmony_hdm_dlq_jobs", reason="disk_error") == 1
    assert _value(samples, "harmony_hdm_dlq_jobs", reason="no_candidates") == 0
    assert _value(samples, "harmony_hdm_search_budget_limit") == 34


def test_stage_durations_and_candidates_tried_are_observed_from_the_timeline():
    registry_text = lambda: generate_latest().decode()  # noqa: E731
    before = _samples(registry_text())
    job = submit.submit_wanted(make_meta(1), kind="manual", actor="t").job
    assert state.transition(job, to=JobState.MATCHING, reason="started", claimed=False)
    assert state.transition(job, to=JobState.DEAD, reason="no_candidates", claimed=False)
    after = _samples(registry_text())

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("harmony_hdm_stage_duration_seconds_count", stage="queued") == 1
    assert grew("harmony_hdm_stage_duration_seconds_count", stage="matching") == 1
    assert grew("harmony_hdm_job_transitions_total", to_state="dead") == 1
    assert grew("harmony_hdm_candidates_tried_count", outcome="dead") == 1


def test_the_collector_also_serves_a_multiprocess_registry(monkeypatch, tmp_path):
    from harmony_site import scrape

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    registry = scrape.metrics_registry()
    assert isinstance(registry, CollectorRegistry)
    assert "harmony_hdm_jobs" in generate_latest(registry).decode()
    assert metrics.COLLECTOR in scrape._SCRAPE_COLLECTORS
