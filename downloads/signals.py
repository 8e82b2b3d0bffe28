"""Decoupled side effects of the job timeline: metrics and watched playlists' M3U8 files.

State changes are conditional UPDATEs (no `post_save` on `Job`), but every change writes a
`JobEvent`, so its `post_save` is the one place that sees them all. The work runs after the
transaction commits (a rolled-back change observes nothing) and can never fail the job.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from downloads.models import JobEvent, JobState

logger = logging.getLogger("hdm.signals")


@receiver(post_save, sender=JobEvent, dispatch_uid="hdm-job-event-side-effects")
def on_job_event(sender: Any, instance: JobEvent, created: bool, **kwargs: Any) -> None:
    if created:
        transaction.on_commit(lambda: _after_commit(instance))


def _after_commit(event: JobEvent) -> None:
    from downloads import metrics, watchlists

    try:
        metrics.record_transition(event)
        if event.to_state == JobState.DONE and event.from_state != JobState.DONE:
            watchlists.refresh_playlists_for_job(event.job_id)
    except Exception:  # side effects must never break the pipeline that triggered them
        logger.exception("hdm.signals.failed", extra={"job_id": event.job_id})
