"""Readiness and supervision: the `cluster` probe, and the watchdog `harmony_serve` asks before
restarting a stalled task cluster (see downloads/jobs/watchdog.py)."""

from __future__ import annotations

from downloads.jobs.watchdog import cluster_stalled, last_beat
from harmony_site.probes import ProbeResult, register_probe
from harmony_site.serve import register_cluster_watchdog


@register_probe("cluster")
def probe_cluster() -> ProbeResult:
    if cluster_stalled():
        return ProbeResult("fail", f"task cluster stalled (last heartbeat {last_beat()})")
    return ProbeResult("ok")


register_cluster_watchdog(cluster_stalled)
