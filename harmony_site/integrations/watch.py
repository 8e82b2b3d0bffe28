"""Events nobody else raises: Harmony's health turning bad, and the day's summary.

Both remember what they last saw in a `Marker` row and move it with a conditional UPDATE, so
two schedule runs (or two hosts) never report the same change twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from downloads.models import Job, JobScope, JobState
from harmony_site import probes
from harmony_site.integrations.conf import knob
from harmony_site.integrations.models import EventKind, Marker
from harmony_site.integrations.outbox import record_event, subscribers
from library.models import LibraryFile

logger = logging.getLogger("hdm.integrations")

HEALTH_MARKER = "health_failing"
SUMMARY_MARKER = "daily_summary"


def _move_marker(name: str, *, old: str | None, new: str) -> bool:
    """Set the marker from `old` (None: absent) to `new`; False when another run moved it."""
    if old is None:
        try:
            with transaction.atomic():
                Marker.objects.create(name=name, value=new)
        except IntegrityError:
            return False
        return True
    return bool(Marker.objects.filter(name=name, value=old).update(value=new))


def _marker(name: str) -> str | None:
    return Marker.objects.filter(name=name).values_list("value", flat=True).first()


def check_health(*, now: datetime) -> bool:
    """Run the probes; record `health_bad` when a probe fails that did not fail last time."""
    if not subscribers(EventKind.HEALTH_BAD):
        return False  # nobody listens: spare the providers a probe every minute
    failing = {report.name: report.detail for report in probes.failing(probes.run_probes())}
    value = ",".join(sorted(failing))[:200]
    before = _marker(HEALTH_MARKER)
    if before == value or not _move_marker(HEALTH_MARKER, old=before, new=value):
        return False
    newly = sorted(set(failing) - set((before or "").split(",")))
    if not newly:
        return False  # recovered, or fewer failures than before
    lines = [f"{name}: {failing[name]}" for name in sorted(failing)]
    record_event(
        EventKind.HEALTH_BAD,
        {"line": "; ".join(lines), "failing": failing, "new": newly},
        now=now,
    )
    logger.warning("hdm.integrations.health_bad", extra={"failing": sorted(failing)})
    return True


def daily_summary(*, now: datetime) -> bool:
    """Once a day, from DAILY_SUMMARY_HOUR (UTC), record what the last 24 hours brought."""
    today = now.date().isoformat()
    before = _marker(SUMMARY_MARKER)
    if now.hour < knob("DAILY_SUMMARY_HOUR") or before == today:
        return False
    if not subscribers(EventKind.DAILY_SUMMARY):
        return False
    if not _move_marker(SUMMARY_MARKER, old=before, new=today):
        return False
    since = now - timedelta(days=1)
    counts = {
        "imported": LibraryFile.objects.filter(created_at__gte=since)
        .exclude(content_hash="")
        .count(),
        "done": Job.objects.filter(
            scope=JobScope.TRACK, state=JobState.DONE, finished_at__gte=since
        ).count(),
        "failed": Job.objects.filter(
            scope=JobScope.TRACK, state=JobState.DEAD, finished_at__gte=since
        ).count(),
        "dead_letters": Job.objects.filter(state=JobState.DEAD).count(),
    }
    line = (
        f"Last 24 hours: {counts['imported']} imported, {counts['done']} downloads done, "
        f"{counts['failed']} failed; {counts['dead_letters']} in the dead-letter queue."
    )
    record_event(EventKind.DAILY_SUMMARY, {"line": line, **counts, "date": today}, now=now)
    return True
