"""Quarantine: files that failed verification or tagging, kept for a person to inspect.

Nothing here deletes (a person does, through `library.importing.delete_quarantined`). Each
file lands in `DOWNLOADS_DIR/.quarantine/` under a name that never overwrites another, with
`<name>.reason.json` beside it (see docs/library.md, "Quarantine").
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from library.moving import TEMP_PREFIX, TargetExists, move_atomically
from library.naming import MAX_COMPONENT_BYTES, trim_utf8

logger = logging.getLogger("hdm.quarantine")

# Each reason a file can be quarantined for, as a sentence for the quarantine panel.
REASONS: dict[str, str] = {
    "untagged": "It has no title or artist tag to name it by.",
    "unreadable": "It cannot be read as audio.",
    "corrupt": "The audio data is damaged.",
    "wrong_format": "Its content is not the format its name says.",
    "missing": "The file disappeared while it was handled.",
    "size_mismatch": "Its size is not what the peer announced: the download is incomplete.",
    "duration_mismatch": "Its length is not the wanted track's.",
    "below_profile": "Its quality is below your quality profile.",
    "path_conflict": "Another file already holds its place in the library.",
    "source_missing": "The file it came from is gone.",
    "wrong_file": "A person marked it as the wrong file.",
    "UnsafePath": "Its tags would name a path outside the music folder.",
    "TaggingError": "Harmony could not write its tags.",
}
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


@dataclass(frozen=True)
class QuarantinedFile:
    """One file waiting in the quarantine, with what its reason file says."""

    name: str
    size: int
    reason: str
    detail: str
    quarantined_at: str
    original_path: str


def quarantined_files() -> list[QuarantinedFile]:
    """Every quarantined file, newest first (a file without a readable reason says so)."""
    folder = quarantine_dir()
    if not folder.is_dir():
        return []
    files = [
        describe(path)
        for path in folder.iterdir()
        if path.is_file()
        and not path.name.endswith(REASON_SUFFIX)
        and not path.name.startswith(TEMP_PREFIX)
    ]
    return sorted(files, key=lambda item: (item.quarantined_at, item.name), reverse=True)


def describe(path: Path) -> QuarantinedFile:
    try:
        record = json.loads(_reason_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {"reason": "unknown", "detail": "its reason file is missing or unreadable"}
    return QuarantinedFile(
        name=path.name,
        size=path.stat().st_size,
        reason=str(record.get("reason", "unknown")),
        detail=str(record.get("detail", "")),
        quarantined_at=str(record.get("quarantined_at", "")),
        original_path=str(record.get("original_path", "")),
    )


def quarantined_path(name: str) -> Path:
    """The quarantined file called `name`; FileNotFoundError for anything else (a path, a
    reason file, a name that is not there)."""
    folder = quarantine_dir()
    path = folder / name
    if Path(name).name != name or name.endswith(REASON_SUFFIX) or not path.is_file():
        raise FileNotFoundError(f"no quarantined file called {name!r}")
    return path


def forget_reason(path: Path) -> None:
    """Drop the reason file of a file that left the quarantine."""
    _reason_path(path).unlink(missing_ok=True)


def reason_text(code: str) -> str:
    """A quarantine reason as a sentence (a code added later still reads as words)."""
    return REASONS.get(code) or code.replace("_", " ").capitalize() + "."
