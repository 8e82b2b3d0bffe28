"""Lidarr as a source: its wanted/missing albums become HDM album requests.

Each missing album becomes one album request (`downloads.submit.submit_group`, the same
path a Spotify album link takes) holding the tracks that still lack a file, with Lidarr's
MusicBrainz ids kept on every wanted track. A live request for the same album is found again
(`already_enqueued`), so syncing every LIDARR_SYNC_MINUTES never duplicates work. When the
files arrive, the Lidarr integration's rescan delivery (outbox) tells Lidarr about them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q

from downloads.models import JobKind, JobScope
from downloads.submit import submit_group
from harmony_site.integrations import senders
from harmony_site.integrations.conf import knob
from harmony_site.integrations.models import Integration, Kind

logger = logging.getLogger("hdm.integrations")


def sync_due(*, now: datetime) -> int:
    """Sync every enabled Lidarr whose interval has passed; returns the albums submitted."""
    cutoff = now - timedelta(minutes=knob("LIDARR_SYNC_MINUTES"))
    due = Q(synced_at__isnull=True) | Q(synced_at__lte=cutoff)
    submitted = 0
    for integration in Integration.objects.filter(due, kind=Kind.LIDARR, enabled=True):
        # Claimed by moving synced_at: a concurrent run finds it no longer due.
        if Integration.objects.filter(due, pk=integration.pk).update(synced_at=now):
            submitted += sync_lidarr(integration)
    return submitted


def sync_lidarr(integration: Integration) -> int:
    """Read Lidarr's wanted list and submit each album; failures are logged, never raised."""
    client = senders.lidarr_client(integration)
    actor = f"lidarr:{integration.name}"[:150]
    submitted, error = 0, ""
    try:
        for album in client.wanted():
            if not album.tracks:
                continue
            ref = album.musicbrainz_release_group_id or f"id-{album.lidarr_id}"
            result = submit_group(
                list(album.tracks),
                scope=JobScope.ALBUM,
                ref=f"lidarr:{ref}",
                label=album.label,
                kind=JobKind.BACKFILL,
                actor=actor,
            )
            submitted += result.status == "enqueued"
    except Exception as exc:  # a broken Lidarr must not stop the schedule's other work
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning(
            "hdm.lidarr.failed", extra={"integration_id": integration.pk, "detail": error}
        )
    finally:
        client.close()
    Integration.objects.filter(pk=integration.pk).update(sync_error=error)
    logger.info(
        "hdm.lidarr.synced", extra={"integration_id": integration.pk, "submitted": submitted}
    )
    return submitted
