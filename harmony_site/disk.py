"""Free space on the data directories, and disk errors said in words.

Below `DISK_MIN_FREE_MB` on DOWNLOADS_DIR or MUSIC_DIR, imports and new downloads wait (the
files would not fit, and a full disk fails every write) and the `disk` readiness probe fails.
"""

from __future__ import annotations

import errno
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from harmony_site.config import get_config

MB = 1024 * 1024
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class DiskSpace:
    knob: str  # DOWNLOADS_DIR or MUSIC_DIR
    path: Path
    free_bytes: int
    total_bytes: int

    @property
    def free_text(self) -> str:
        return f"{self.free_bytes / MB:,.0f} MB free of {self.total_bytes / MB:,.0f} MB"


def disk_space() -> list[DiskSpace]:
    """Free space of each data directory (a missing directory is left out)."""
    found = []
    for knob in ("DOWNLOADS_DIR", "MUSIC_DIR"):
        path = Path(getattr(settings, knob))
        try:
            usage = shutil.disk_usage(path)
        except OSError:
            continue  # the directory probes report a missing or unreadable directory
        found.append(DiskSpace(knob, path, usage.free, usage.total))
    return found


def disk_shortage() -> str | None:
    """A sentence naming each data directory below the free-space floor, or None."""
    floor_mb = get_config()["DISK_MIN_FREE_MB"]
    low = [space for space in disk_space() if space.free_bytes < floor_mb * MB]
    if not low:
        return None
    where = "; ".join(f"{s.knob} ({s.path}) has {s.free_text}" for s in low)
    return (
        f"{where}, below DISK_MIN_FREE_MB ({floor_mb} MB): imports and new downloads wait "
        "until space is freed"
    )


def describe_os_error(exc: OSError) -> str:
    """One sentence for a failed file operation; a full disk says so and where."""
    where = exc.filename or "a file"
    if exc.errno in DISK_FULL:
        return f"the disk is full: no space left to write {where}; free some space, then retry"
    return f"{exc.strerror or type(exc).__name__} ({where})"
