"""Readiness and supervision: the `cluster` probe, and the watchdog and start-up hook
`harmony_serve` uses to restart a stalled or frozen task cluster (downloads/jobs/watchdog.py)."""

from __future__ import annotations

from downloads.jobs.watchdog import cluster_stalled, cluster_started, last_beat, watch_cluster
from harmony_site.probes import ProbeResult, register_probe
from harmony_site.serve import register_cluster_started, register_cluster_watchdog


@register_probe("cluster")
def probe_cluster() -> ProbeResult:
    if cluster_stalled():
        return ProbeResult("fail", f"task cluster stalled (last heartbeat {last_beat()})")
    return ProbeResult("ok")


register_cluster_watchdog(watch_cluster)
register_cluster_started(cluster_started)
