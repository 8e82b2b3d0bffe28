"""A full disk pauses the HDM's writing steps instead of failing them (harmony_site/disk.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from downloads.jobs.conf import knob
from downloads.jobs.outcomes import Wait
from downloads.models import Job, JobState
from harmony_site.disk import disk_shortage

logger = logging.getLogger("hdm.disk")

# Ingest writes tags in DOWNLOADS_DIR and the file into MUSIC_DIR.
_WRITING_STATES = (JobState.VERIFYING, JobState.TAGGING, JobState.MOVING)
DISK_LOW = "disk_low"


def disk_pause(job: Job) -> Wait | None:
    """Below the free-space floor, a job about to start a transfer or an ingest waits (no
    retry is spent); one watching a running transfer goes on. None when it may go on."""
    starts_transfer = job.state == JobState.DOWNLOADING and not job.transfer_id
    if not (starts_transfer or job.state in _WRITING_STATES):
        return None
    shortage = disk_shortage()
    if shortage is None:
        return None
    logger.warning("hdm.disk.paused", extra={"job_id": job.pk, "detail": shortage})
    # One timeline event per pause, not one per check.
    already = job.events.order_by("-id").values_list("reason", flat=True).first() == DISK_LOW
    return Wait(
        timezone.now() + timedelta(seconds=knob("HDM_BACKOFF_DISK_S")),
        reason="" if already else DISK_LOW,
        details={"detail": shortage},
    )
