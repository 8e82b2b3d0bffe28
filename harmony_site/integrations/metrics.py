"""Prometheus metrics of the integrations, read from the database at scrape time (like the
HDM's, downloads/metrics.py): every process answers the same and nothing is lost on restart.

- `harmony_integration_deliveries{kind,state}`: deliveries by integration kind and state
  (`dead` ones gave up after INTEGRATIONS_MAX_ATTEMPTS; `retry` ones are failing now);
- `harmony_integration_failed_attempts_total{kind}`: attempts that failed, summed;
- `harmony_integration_sync_failing{kind}`: Lidarr integrations whose last sync failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from harmony_site.integrations import selectors
from harmony_site.integrations.models import Delivery, Integration

logger = logging.getLogger("hdm.metrics")


class IntegrationCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        # describe() keeps the registry from querying the database at import time.
        yield GaugeMetricFamily("harmony_integration_deliveries", "")
        yield CounterMetricFamily("harmony_integration_failed_attempts", "")
        yield GaugeMetricFamily("harmony_integration_sync_failing", "")

    def collect(self) -> Iterator[Metric]:
        try:
            families = list(self._families())
        except Exception:  # a scrape must still answer when the database is away
            logger.exception("hdm.metrics.collect_failed", extra={"part": "integrations"})
            return
        yield from families

    def _families(self) -> Iterator[Metric]:
        deliveries = GaugeMetricFamily(
            "harmony_integration_deliveries",
            "Integration deliveries by integration kind and state.",
            labels=["kind", "state"],
        )
        for row in selectors.delivery_counts():
            deliveries.add_metric([row["kind"], row["state"]], row["count"])
        yield deliveries
        failed = CounterMetricFamily(
            "harmony_integration_failed_attempts",
            "Delivery attempts that failed (each retry counts), by integration kind.",
            labels=["kind"],
        )
        sums = Delivery.objects.values("integration__kind").annotate(n=Sum("failures"))
        for row in sums:
            failed.add_metric([row["integration__kind"]], row["n"] or 0)
        yield failed
        syncing = GaugeMetricFamily(
            "harmony_integration_sync_failing",
            "Lidarr integrations whose last sync failed.",
            labels=["kind"],
        )
        syncing.add_metric(["lidarr"], Integration.objects.exclude(sync_error="").count())
        yield syncing


COLLECTOR = IntegrationCollector()


def register() -> None:
    from harmony_site.scrape import register_scrape_collector

    register_scrape_collector(COLLECTOR)
