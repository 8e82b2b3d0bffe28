"""Index an existing music folder: `scan_library(path, *, run)`.

Built for 100,000 files in bounded memory: the walk is an `os.scandir` generator, files are
handled in batches of `SCAN_BATCH_SIZE` (existing rows looked up per batch by path, new rows
written with `bulk_create`, changed ones with `bulk_update`, a fixed number of queries per
batch), and no query ever loads the whole table. Incremental: a file whose size and mtime match
its row is not opened again. Files that vanished are marked `missing`, never deleted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from harmony_site.config import get_config
from library import catalog
from library.audit import SYSTEM, record_event
from library.models import AuditEvent, LibraryFile, ScanRun, UnreadableFile
from library.tagging import AudioInfo, UnreadableAudio, read_audio
from library.tagging.formats import AUDIO_EXTENSIONS

logger = logging.getLogger("hdm.scan")

Progress = Callable[[int, int], None]  # (files just handled, total files)
_FILE_COLUMNS = [
    "track",
    "format",
    "codec",
    "bitrate_kbps",
    "sample_rate",
    "bit_depth",
    "channels",
    "duration_s",
    "size",
    "mtime_ns",
    "tags",
    "state",
    "content_hash",
    "last_scan",
    "updated_at",
]


# Columns of a newly indexed file that `file_fields` does not set.
_NEW_FILE: dict[str, Any] = {
    "moved_to": "",
    "content_hash": "",
    "source": {},
    "analysis": {},  # a scan indexes; analysis is ingest's or a re-verify's
    "suspect": False,
    "analysed_at": None,
    "fingerprint": "",
}


class ScanError(Exception):
    """The scan cannot start (path outside MUSIC_DIR, not a directory)."""


@dataclass
class _Seen:
    """One audio file found by the walk."""

    path: str  # as the walk found it; a Path is built once, by read_audio
    rel: str
    size: int
    mtime_ns: int
    stat: os.stat_result


@dataclass
class _Batch:
    skipped: list[int] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)  # rows for catalog.insert_rows
    changed: list[LibraryFile] = field(default_factory=list)
    unreadable: list[UnreadableFile] = field(default_factory=list)


def iter_audio_entries(root: Path) -> Iterator[os.DirEntry[str]]:
    """Audio files under `root` as DirEntry objects, depth first, skipping hidden entries and
    symlinks (hidden names cover Harmony's own `.recycle`, `.quarantine` and move temporaries).
    """
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.is_symlink():
                    continue
                if entry.is_dir():
                    stack.append(entry.path)
                elif os.path.splitext(entry.name)[1].lower() in AUDIO_EXTENSIONS:
                    yield entry


def iter_audio_files(root: Path) -> Iterator[Path]:
    """Audio files under `root` (see `iter_audio_entries`)."""
    return (Path(entry.path) for entry in iter_audio_entries(root))


def start_scan(path: Path | None = None, *, actor: str = SYSTEM) -> ScanRun:
    """A queued ScanRun for `path` (default MUSIC_DIR), for the API/UI to enqueue."""
    root = _scan_root(path)
    return ScanRun.objects.create(path=str(root), actor=actor)


def scan_library(
    path: Path | None = None, *, run: ScanRun | None = None, progress: Progress | None = None
) -> ScanRun:
    """Index `path` (default MUSIC_DIR; must be inside it) and return the finished run.

    With a queued `run` (from `start_scan`) the scan claims it first and does nothing when
    another worker already did. `progress(handled, total)` is called after each batch.
    """
    root = _scan_root(path if path is not None else (Path(run.path) if run else None))
    claimed = _claim(run, root)
    if claimed is None:
        assert run is not None
        logger.info("hdm.scan.claim_skipped", extra={"scan_id": run.pk})
        run.refresh_from_db()
        return run
    run = claimed
    try:
        _scan(root, run, progress)
    except Exception as exc:
        ScanRun.objects.filter(pk=run.pk).update(
            state=ScanRun.State.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=_now()
        )
        logger.exception("hdm.scan.failed", extra={"scan_id": run.pk})
        raise
    run.refresh_from_db()
    return run


def _scan(root: Path, run: ScanRun, progress: Progress | None) -> None:
    total = sum(1 for _ in iter_audio_entries(root))  # cheap: names only, for the progress bar
    ScanRun.objects.filter(pk=run.pk).update(total=total)
    if progress:
        progress(0, total)
    batch_size = get_config()["SCAN_BATCH_SIZE"]
    paths = (entry.path for entry in iter_audio_entries(root))
    for chunk in _batched(paths, batch_size):
        scan_batch(chunk, run=run)
        ScanRun.objects.filter(pk=run.pk).update(
            seen=run.seen,
            added=run.added,
            updated=run.updated,
            skipped=run.skipped,
            unreadable=run.unreadable,
            current_path=_relative(chunk[-1]),
        )
        if progress:
            progress(len(chunk), total)
    run.missing = mark_missing(root, run=run)
    run.state, run.finished_at, run.current_path = ScanRun.State.FINISHED, _now(), ""
    run.save(update_fields=["missing", "state", "finished_at", "current_path"])
    with transaction.atomic():
        record_event(
            AuditEvent.Kind.SCANNED,
            actor=run.actor,
            scan_id=run.pk,
            path=str(root),
            **{k: getattr(run, k) for k in ("seen", "added", "updated", "skipped", "missing")},
        )
    logger.info("hdm.scan.completed", extra={"scan_id": run.pk, "seen": run.seen})


def scan_batch(paths: list[str] | list[Path], *, run: ScanRun) -> None:
    """Index one batch in one transaction with a fixed number of queries; counts go on `run`."""
    music = _music_dir()
    found = [_stat(path, music) for path in paths]
    existing = {
        row.path: row
        for row in LibraryFile.objects.filter(
            path__in=[f.rel for f in found],
            state__in=[LibraryFile.State.PRESENT, LibraryFile.State.MISSING],
        )
    }
    batch = _Batch()
    readable: list[tuple[_Seen, AudioInfo]] = []
    for seen in found:
        row = existing.get(seen.rel)
        unchanged = row and (row.size, row.mtime_ns) == (seen.size, seen.mtime_ns)
        if unchanged and row.state == LibraryFile.State.PRESENT:
            batch.skipped.append(row.pk)
            continue
        info = _read(seen, run, batch)
        if info is not None:
            readable.append((seen, info))
        elif row is not None:
            batch.skipped.append(row.pk)  # still on disk, so not missing; recorded unreadable
    with transaction.atomic():
        _write_batch(readable, existing, batch, run)
    run.seen += len(found)
    run.skipped += len(batch.skipped)
    run.added += len(batch.new)
    run.updated += len(batch.changed)
    run.unreadable += len(batch.unreadable)


def _write_batch(
    readable: list[tuple[_Seen, AudioInfo]],
    existing: dict[str, LibraryFile],
    batch: _Batch,
    run: ScanRun,
) -> None:
    track_ids = catalog.resolve_track_ids([info.meta for _, info in readable])
    now = _now()
    for (seen, info), track_id in zip(readable, track_ids, strict=True):
        fields = catalog.file_fields(info, seen.path, tags=info.tags, stat=seen.stat)
        fields.update(track_id=track_id, state=LibraryFile.State.PRESENT, last_scan_id=run.pk)
        row = existing.get(seen.rel)
        if row is None:
            batch.new.append(
                {**_NEW_FILE, **fields, "path": seen.rel, "created_at": now, "updated_at": now}
            )
            continue
        # The file changed on disk: its old hash no longer describes it.
        for name, value in fields.items():
            setattr(row, name, value)
        row.content_hash, row.updated_at = "", now
        batch.changed.append(row)
    catalog.insert_rows(LibraryFile, batch.new)
    LibraryFile.objects.bulk_update(batch.changed, _FILE_COLUMNS)
    LibraryFile.objects.filter(pk__in=batch.skipped).update(last_scan=run)
    UnreadableFile.objects.bulk_create(batch.unreadable)
    AuditEvent.objects.bulk_create(_file_events(batch, run))


def _file_events(batch: _Batch, run: ScanRun) -> Iterable[AuditEvent]:
    # Files a scan adds are recorded by the run's own `scanned` event (with counts; the rows
    # carry `last_scan`); files it changes or loses get one event each.
    for row in batch.changed:
        yield AuditEvent(
            kind=AuditEvent.Kind.UPDATED,
            actor=run.actor,
            file=row,
            track_id=row.track_id,
            details={"scan_id": run.pk, "path": row.path},
        )


def mark_missing(root: Path, *, run: ScanRun) -> int:
    """Mark present files under `root` that this run did not see as missing (rows are kept)."""
    prefix = _relative(root)
    gone = LibraryFile.objects.filter(state=LibraryFile.State.PRESENT).exclude(last_scan=run)
    if prefix:
        gone = gone.filter(path__startswith=prefix + "/")
    count = 0
    while ids := list(gone.values_list("pk", "track_id")[: get_config()["SCAN_BATCH_SIZE"]]):
        with transaction.atomic():
            LibraryFile.objects.filter(pk__in=[pk for pk, _ in ids]).update(
                state=LibraryFile.State.MISSING, last_scan=run
            )
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    kind=AuditEvent.Kind.MISSING,
                    actor=run.actor,
                    file_id=pk,
                    track_id=track_id,
                    details={"scan_id": run.pk},
                )
                for pk, track_id in ids
            )
        count += len(ids)
    return count


# --- Helpers --------------------------------------------------------------------------------


def _scan_root(path: Path | None) -> Path:
    music = Path(settings.MUSIC_DIR).resolve()
    root = Path(path).resolve() if path else music
    if root != music and music not in root.parents:
        raise ScanError(f"{root} is not inside MUSIC_DIR ({music})")
    if not root.is_dir():
        raise ScanError(f"{root} is not a directory")
    return root


def _claim(run: ScanRun | None, root: Path) -> ScanRun | None:
    if run is None:
        return ScanRun.objects.create(
            path=str(root), state=ScanRun.State.RUNNING, started_at=_now()
        )
    claimed = ScanRun.objects.filter(pk=run.pk, state=ScanRun.State.QUEUED).update(
        state=ScanRun.State.RUNNING, started_at=_now()
    )
    if not claimed:
        return None
    run.refresh_from_db()
    return run


def _stat(path: str | Path, music: str) -> _Seen:
    stat = os.stat(path)
    return _Seen(str(path), _relative(path, music), stat.st_size, stat.st_mtime_ns, stat)


def _read(seen: _Seen, run: ScanRun, batch: _Batch) -> AudioInfo | None:
    try:
        return read_audio(seen.path, light=True)  # the scan stores no lyrics or cover flag
    except UnreadableAudio as exc:
        batch.unreadable.append(
            UnreadableFile(scan_run=run, path=seen.rel, reason=exc.code, detail=str(exc))
        )
        logger.info("hdm.scan.unreadable", extra={"path": seen.rel, "reason": exc.code})
        return None


def _relative(path: str | Path, music: str | None = None) -> str:
    """POSIX path relative to MUSIC_DIR of a path found under the (resolved) scan root."""
    music = music or _music_dir()
    text = str(path)
    if text.startswith(music + os.sep):  # the common case, without relpath's normalisation
        return text[len(music) + 1 :].replace(os.sep, "/")
    rel = os.path.relpath(text, music)
    return "" if rel == "." else Path(rel).as_posix()


def _music_dir() -> str:
    return str(Path(settings.MUSIC_DIR).resolve())


def _batched(items: Iterator[Path], size: int) -> Iterator[list[Path]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _now():
    return timezone.now()
