"""The library's audit trail: one `AuditEvent` row per change, written inside the change's
transaction so a rolled-back change leaves no event and a committed one always has its event."""

from __future__ import annotations

import logging
from typing import Any

from library.models import AuditEvent, LibraryFile, Track

logger = logging.getLogger("hdm.audit")

SYSTEM = "system"


def record_event(
    kind: str,
    *,
    actor: str,
    track: Track | None = None,
    file: LibraryFile | None = None,
    **details: Any,
) -> AuditEvent:
    """Record that `actor` (`user:alice`, `apikey:name`, `job:42`, `system`) did `kind`.

    `details` must be JSON-serialisable (paths as strings); it is shown verbatim in the admin,
    the API and the UI, so never pass secrets.
    """
    if kind not in AuditEvent.Kind.values:
        raise ValueError(f"unknown audit event kind {kind!r}")
    if track is None and file is not None:
        track = file.track
    event = AuditEvent.objects.create(
        kind=kind, actor=actor, track=track, file=file, details=details
    )
    logger.debug(
        "hdm.audit.recorded",
        extra={"kind": kind, "actor": actor, "track_id": event.track_id, "file_id": event.file_id},
    )
    return event
