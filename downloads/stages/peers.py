"""Harmony's record of each peer: one failure lowers its rank, two within a window exclude it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from downloads.matching import ranking
from downloads.models import PeerStat
from harmony_site.config import knob

logger = logging.getLogger("hdm.peer")

# The second failure inside the window excludes the peer (matching.md section 7).
EXCLUDE_AFTER = 2


def _locked_stat(username: str) -> PeerStat:
    PeerStat.objects.get_or_create(username=username)
    return PeerStat.objects.select_for_update().get(username=username)


def record_peer_failure(username: str, *, reason: str) -> PeerStat:
    """Count a failed transfer (errored, rejected, timed out, stalled, cancelled)."""
    now = timezone.now()
    window = timedelta(seconds=knob("HDM_PEER_FAILURE_WINDOW_S"))
    with transaction.atomic():
        stat = _locked_stat(username)
        if stat.window_started_at is None or now - stat.window_started_at > window:
            stat.window_started_at, stat.window_failures = now, 0
        stat.window_failures += 1
        stat.failures += 1
        stat.last_failure_at, stat.last_failure_reason = now, reason[:64]
        if stat.window_failures >= EXCLUDE_AFTER:
            stat.excluded_until = now + timedelta(seconds=knob("HDM_PEER_EXCLUDE_S"))
        stat.save()
    event = "hdm.peer.excluded" if stat.window_failures >= EXCLUDE_AFTER else "hdm.peer.failed"
    logger.info(event, extra={"peer": username, "reason": reason, "failures": stat.window_failures})
    return stat


def record_peer_success(username: str) -> None:
    with transaction.atomic():
        stat = _locked_stat(username)
        stat.successes += 1
        stat.save()


def is_peer_excluded(username: str) -> bool:
    return PeerStat.objects.filter(username=username, excluded_until__gt=timezone.now()).exists()


def peer_stats_for(usernames: Iterable[str]) -> dict[str, ranking.PeerStat]:
    """The matcher's view of the given peers (failures count only inside the window)."""
    now = timezone.now()
    window_start = now - timedelta(seconds=knob("HDM_PEER_FAILURE_WINDOW_S"))
    stats: dict[str, ranking.PeerStat] = {}
    for row in PeerStat.objects.filter(username__in=set(usernames)):
        in_window = row.window_started_at is not None and row.window_started_at > window_start
        stats[row.username] = ranking.PeerStat(
            successes=row.successes,
            failures=row.window_failures if in_window else 0,
            excluded=bool(row.excluded_until and row.excluded_until > now),
        )
    return stats
