"""The Prometheus registry /api/v1/metrics serves, and the scrape-time collectors apps add to it.

Apart from the view (`harmony_site.health.MetricsView`) so that an app registering its
collector in `ready()` does not load DRF in every process: a management command never serves
metrics.
"""

from __future__ import annotations

import os
from typing import Any

import prometheus_client
from prometheus_client import multiprocess

# Collectors that read the database at scrape time (the same answer from every process),
# registered by apps (e.g. downloads/metrics.py) and exposed in both modes below.
_SCRAPE_COLLECTORS: list[Any] = []


def register_scrape_collector(collector: Any) -> None:
    """Expose `collector` (a prometheus_client custom collector) on /api/v1/metrics."""
    if collector not in _SCRAPE_COLLECTORS:
        _SCRAPE_COLLECTORS.append(collector)
        prometheus_client.REGISTRY.register(collector)


def metrics_registry() -> prometheus_client.CollectorRegistry:
    """All processes' metrics when harmony_serve set a multiprocess directory, else this one's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in _SCRAPE_COLLECTORS:
            registry.register(collector)
        return registry
    return prometheus_client.REGISTRY
