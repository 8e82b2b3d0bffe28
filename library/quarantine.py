"""Quarantine: files that failed verification or tagging, kept for a person to inspect.

Nothing here deletes. Each file lands in `DOWNLOADS_DIR/.quarantine/` under a name that never
overwrites another, with `<name>.reason.json` beside it (see docs/library.md, "Quarantine").
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from library.moving import TEMP_PREFIX, TargetExists, move_atomically
from library.naming import MAX_COMPONENT_BYTES, trim_utf8

logger = logging.getLogger("hdm.quarantine")

QUARANTINE_DIRNAME = ".quarantine"
REASON_SUFFIX = ".reason.json"


def quarantine_dir() -> Path:
    from django.conf import settings

    return Path(settings.DOWNLOADS_DIR) / QUARANTINE_DIRNAME


def quarantine_file(path: str | Path, *, reason: str, detail: str) -> Path:
    """Move `path` into the quarantine directory; returns its new path."""
    source = Path(path)
    folder = quarantine_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = _claim_name(folder, source.name)
    try:
        moved = move_atomically(source, target)
    except BaseException:
        _release_name(target)
        raise
    _write_reason(moved, reason=reason, detail=detail, original=source)
    logger.warning(
        "hdm.quarantine.added",
        extra={"path": str(moved), "original": str(source), "reason": reason, "detail": detail},
    )
    return moved


def _claim_name(folder: Path, name: str) -> Path:
    """Reserve a free name by creating its reason file exclusively (safe between processes)."""
    stem, suffix = os.path.splitext(name)
    # Room for " (NNNN)" and ".reason.json" within the 255-byte limit of a file name.
    stem = trim_utf8(stem, MAX_COMPONENT_BYTES - len(suffix.encode()) - len(REASON_SUFFIX) - 8)
    for attempt in range(10_000):
        candidate = folder / (f"{stem}{suffix}" if attempt == 0 else f"{stem} ({attempt}){suffix}")
        try:
            fd = os.open(_reason_path(candidate), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        if candidate.exists():  # a file without its reason (put there by hand): keep looking
            os.unlink(_reason_path(candidate))
            continue
        return candidate
    raise TargetExists(f"no free quarantine name for {name}")


def _release_name(target: Path) -> None:
    if not target.exists():
        _reason_path(target).unlink(missing_ok=True)


def _reason_path(target: Path) -> Path:
    return target.with_name(target.name + REASON_SUFFIX)


def _write_reason(target: Path, *, reason: str, detail: str, original: Path) -> None:
    record = {
        "reason": reason,
        "detail": detail,
        "quarantined_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "original_path": str(original),
        "file": target.name,
    }
    # Written beside and renamed over the placeholder so a crash never leaves half a JSON file;
    # a leftover temporary carries the prefix start-up cleanup removes.
    tmp = target.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, _reason_path(target))
