"""Manual import: audio files dropped into the import folder join the library.

The folder is `IMPORT_DIR` (default `import` under DOWNLOADS_DIR). Each file is identified from
its own tags, then goes through exactly the pipeline a download does (`ingest_file`: verify, tag,
name, deduplicate, move). A file without the tags needed to name it (title and artist) or that
cannot be read is quarantined with a reason. No Spotify or slskd is needed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.db import transaction

from harmony_site.config import knob
from harmony_site.disk import DISK_FULL, describe_os_error, disk_shortage
from harmony_site.text import reversible_name
from library import quarantine
from library.audit import record_event
from library.models import AuditEvent
from library.moving import TargetExists, move_atomically
from library.quality import QualityProfile
from library.scanning import iter_audio_files
from library.services import IngestResult, ingest_file, quarantine_source
from library.tagging import UnreadableAudio, read_audio

logger = logging.getLogger("hdm.import")

# A file still being copied in is left for the next run (the schedule uses IMPORT_SETTLE_S).
SETTLE_SECONDS = 5.0


@dataclass
class ImportSummary:
    """Counts per outcome (imported, duplicate, upgraded, quarantined) and the per-file results."""

    counts: Counter[str] = field(default_factory=Counter)
    results: list[tuple[str, IngestResult]] = field(default_factory=list)
    stopped: str = ""  # why the run stopped early (a full disk), in words

    def add(self, path: Path, result: IngestResult) -> None:
        self.counts[result.status] += 1
        self.results.append((str(path), result))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def import_dir() -> Path:
    # A relative IMPORT_DIR is under DOWNLOADS_DIR; an absolute one is used as is.
    return Path(settings.DOWNLOADS_DIR) / knob("IMPORT_DIR")


def import_pending(
    *, actor: str = "system", settle_seconds: float = SETTLE_SECONDS
) -> ImportSummary:
    """Import every settled audio file in the import folder; safe to run on a schedule.

    Files that arrived less than `settle_seconds` ago are left for the next run. Empty
    sub-folders left behind are removed (the import folder itself stays). Nothing is imported
    while a data directory is below DISK_MIN_FREE_MB; names that are not UTF-8 are first
    given their reversible form (`give_safe_names`).
    """
    root = import_dir()
    summary = ImportSummary()
    shortage = disk_shortage()
    if shortage is not None:
        logger.warning("hdm.import.paused", extra={"detail": shortage})
        summary.stopped = shortage
        return summary
    root.mkdir(parents=True, exist_ok=True)
    give_safe_names(root)
    for path in iter_audio_files(root):
        if _is_settling(path, settle_seconds):
            continue
        try:
            summary.add(path, import_file(path, actor=actor))
        except OSError as exc:
            # The file stays where it is for the next run; a full disk ends this one.
            logger.error("hdm.import.failed", extra={"detail": describe_os_error(exc)})
            if exc.errno in DISK_FULL:
                summary.stopped = describe_os_error(exc)
                break
    _remove_empty_dirs(root)
    if summary.total:
        logger.info("hdm.import.completed", extra=dict(summary.counts))
    return summary


def import_file(path: Path, *, actor: str) -> IngestResult:
    """Identify one file from its tags and ingest it like a download."""
    rel = reversible_name(str(path.relative_to(import_dir())))
    source = {"import": rel, "size": path.stat().st_size}
    try:
        meta = read_audio(path, light=True).meta  # only its tags are needed here
    except UnreadableAudio as exc:
        return quarantine_source(
            path, reason="unreadable", detail=exc.reason, actor=actor, source=source
        )
    if not meta.title or not meta.artist:
        detail = "the file has no title or artist tag to name it by; tag it and drop it in again"
        return quarantine_source(path, reason="untagged", detail=detail, actor=actor, source=source)
    return ingest_file(path, meta=meta, source=source, actor=actor)


def give_safe_names(root: Path) -> int:
    """Rename each file or folder under `root` whose name is not valid UTF-8 to its reversible
    form (`Bj\xf6rk` becomes `Bj%F6rk`), so the name can be stored and shown. Returns how many
    were renamed; one whose new name is taken is left as it is (and logged)."""
    renamed = 0
    for folder, dirs, files in os.walk(root, topdown=False):  # children before their folder
        for name in dirs + files:
            safe = reversible_name(name)
            if safe == name:
                continue
            target = Path(folder, safe)
            if target.exists() or target.is_symlink():
                logger.warning("hdm.import.rename_skipped", extra={"name": safe})
                continue
            os.rename(Path(folder, name), target)
            logger.info("hdm.import.renamed", extra={"name": safe})
            renamed += 1
    return renamed


def _is_settling(path: Path, settle_seconds: float) -> bool:
    """Written to (or grown) within the last `settle_seconds`: a copy may still be running.

    Both times are checked: a copy that preserves the source's mtime (`cp -p`, rsync) still
    changes the inode's ctime as it writes.
    """
    stat = path.stat()
    return time.time() - max(stat.st_mtime, stat.st_ctime) < settle_seconds


def _remove_empty_dirs(root: Path) -> None:
    for folder, _dirs, _files in os.walk(root, topdown=False):
        if Path(folder) != root:
            with contextlib.suppress(OSError):  # not empty (or hidden leftovers): leave it
                os.rmdir(folder)


# --- The quarantine panel's actions (each recorded in the audit trail with its actor) --------


def retry_quarantined(name: str, *, actor: str) -> IngestResult:
    """Import a quarantined file again, as if just dropped in (after a person fixed its tags)."""
    path = quarantine.quarantined_path(name)
    target = _free_import_name(path.name)
    move_atomically(path, target)
    quarantine.forget_reason(path)
    logger.info("hdm.quarantine.retried", extra={"file": name, "actor": actor})
    return import_file(target, actor=actor)


def release_quarantined(name: str, *, actor: str) -> IngestResult:
    """Put a quarantined file into the library anyway: no length or quality check, named by its
    tags (or, without them, by its file name under "Unknown artist")."""
    path = quarantine.quarantined_path(name)
    try:
        meta = read_audio(path, light=True).meta
    except UnreadableAudio as exc:
        return IngestResult("quarantined", None, "unreadable", exc.reason)
    meta = replace(
        meta,
        title=meta.title or path.stem,
        artists=meta.artists or ("Unknown artist",),
        duration_ms=None,  # the length check is what a person overrides here
    )
    source = {"released_from_quarantine": name}
    result = ingest_file(path, meta=meta, source=source, actor=actor, profile=QualityProfile())
    if not path.exists():  # promoted, or quarantined again under a new name
        quarantine.forget_reason(path)
    logger.info("hdm.quarantine.released", extra={"file": name, "status": result.status})
    return result


def delete_quarantined(name: str, *, actor: str) -> None:
    """Delete a quarantined file for good (the audit trail keeps who did it and why it was
    there)."""
    path = quarantine.quarantined_path(name)
    described = quarantine.describe(path)
    with transaction.atomic():
        record_event(
            AuditEvent.Kind.DELETED,
            actor=actor,
            path=str(path),
            reason=described.reason,
            detail=described.detail,
            source={"quarantine": name},
        )
        path.unlink()
    quarantine.forget_reason(path)
    logger.warning("hdm.quarantine.deleted", extra={"file": name, "actor": actor})


def _free_import_name(name: str) -> Path:
    """A name in the import folder that no file holds yet (" (n)" added when needed)."""
    root = import_dir()
    root.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    for attempt in range(10_000):
        candidate = root / (name if attempt == 0 else f"{stem} ({attempt}){suffix}")
        if not candidate.exists():
            return candidate
    raise TargetExists(f"no free import name for {name}")
