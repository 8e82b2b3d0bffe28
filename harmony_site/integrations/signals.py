"""Turn what happened elsewhere into integration events (decoupled side effects only).

- a file entering the library (`LibraryFile` created with a content hash: an import, from the
  HDM or the import folder; scans index files without one) → `track_imported`;
- an album request finishing → `album_complete`; a job reaching the dead-letter queue →
  `job_failed` (both from the job timeline, `JobEvent`);
- a watchlist sync that enqueued new tracks → `watchlist_new`.

Each runs after the transaction commits (a rolled-back import tells nobody) and swallows its
own errors: an integration can never fail an import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from downloads.models import Job, JobEvent, JobScope, JobState, WatchlistSync
from harmony_site.integrations.models import EventKind
from harmony_site.integrations.outbox import record_event
from library.models import LibraryFile

logger = logging.getLogger("hdm.integrations")


def _after_commit(work: Callable[[], Any]) -> None:
    def guarded() -> None:
        try:
            work()
        except Exception:
            logger.exception("hdm.integrations.event_failed")

    transaction.on_commit(guarded)


@receiver(post_save, sender=LibraryFile, dispatch_uid="integrations-file-imported")
def on_file_saved(sender: Any, instance: LibraryFile, created: bool, **kwargs: Any) -> None:
    if created and instance.content_hash:
        _after_commit(lambda: record_event(EventKind.TRACK_IMPORTED, imported_payload(instance)))


def imported_payload(row: LibraryFile) -> dict[str, Any]:
    track = row.track
    label = f"{track.artists} — {track.title}" if track else row.path
    return {"line": label, "file_id": row.pk, "track_id": row.track_id, "path": row.path,
            "folder": str(PurePosixPath(row.path).parent), "format": row.format}  # fmt: skip


@receiver(post_save, sender=JobEvent, dispatch_uid="integrations-job-event")
def on_job_event(sender: Any, instance: JobEvent, created: bool, **kwargs: Any) -> None:
    if not created or instance.to_state == instance.from_state:
        return
    if instance.to_state == JobState.DEAD:
        _after_commit(lambda: _job_failed(instance.job_id))
    elif instance.to_state == JobState.DONE:
        _after_commit(lambda: _album_done(instance.job_id))


def _job_failed(job_id: int) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    reason = job.get_dead_reason_display() if job.dead_reason else job.last_error_code
    record_event(
        EventKind.JOB_FAILED,
        {"line": f"{job.label or job.wanted_key}: {reason}", "job_id": job.pk,
         "label": job.label, "reason": job.dead_reason, "detail": job.last_error_detail[:500]},
    )  # fmt: skip


def _album_done(job_id: int) -> None:
    job = Job.objects.filter(pk=job_id, scope=JobScope.ALBUM).first()
    if job is not None:
        record_event(
            EventKind.ALBUM_COMPLETE,
            {"line": job.label, "job_id": job.pk, "label": job.label, "ref": job.source_ref},
        )


@receiver(post_save, sender=WatchlistSync, dispatch_uid="integrations-watchlist-sync")
def on_watchlist_sync(sender: Any, instance: WatchlistSync, **kwargs: Any) -> None:
    if instance.status == WatchlistSync.Status.OK and instance.enqueued > 0:
        _after_commit(lambda: _watchlist_new(instance))


def _watchlist_new(sync: WatchlistSync) -> None:
    name = sync.watchlist.name
    record_event(
        EventKind.WATCHLIST_NEW,
        {"line": f"{name}: {sync.enqueued} new", "watchlist_id": sync.watchlist_id,
         "sync_id": sync.pk, "name": name, "new": sync.new, "enqueued": sync.enqueued},
    )  # fmt: skip
