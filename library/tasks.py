"""Library tasks for the django-q2 cluster: thin wrappers that load ids and call a service."""

from __future__ import annotations

import logging

from harmony_site.config import knob
from library import album_gain, reverify
from library.importing import import_pending
from library.models import ScanRun, VerifyRun
from library.scanning import scan_library

logger = logging.getLogger("hdm.scan")


def run_scan(scan_id: int) -> None:
    """Run a queued scan (`POST /api/v1/library/scans`); a redelivery finds it claimed."""
    run = ScanRun.objects.filter(pk=scan_id, state=ScanRun.State.QUEUED).first()
    if run is None:
        logger.info("hdm.scan.claim_skipped", extra={"scan_id": scan_id})
        return
    scan_library(run=run)


def import_folder() -> None:
    """Scheduled (IMPORT_INTERVAL_MINUTES): import the settled files of the import folder."""
    import_pending(actor="system:import", settle_seconds=knob("IMPORT_SETTLE_S"))


def run_album_gain(album_id: int) -> None:
    """Album gain for a newly complete album; does nothing for an incomplete one."""
    album_gain.apply_album_gain(album_id)


def run_reverify(run_id: int) -> None:
    """Run a queued library re-verify; a redelivery finds it claimed and stops."""
    run = VerifyRun.objects.filter(pk=run_id).first()
    if run is not None:
        reverify.reverify_library(run)
