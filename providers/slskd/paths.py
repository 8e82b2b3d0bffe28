"""Where slskd put a finished download, as a path Harmony can open (provider-apis.md 1.5).

slskd moves a finished file to `<its downloads dir>/<remote parent dir name>/<file name>`
(sanitised for Linux, renamed `<stem>_<ticks><ext>` when the name is taken). Harmony sees the
same volume under `DOWNLOADS_DIR`, so it either swaps the prefix of an event's
`localFilename` or derives the path from the peer's filename. Peer filenames are hostile: they
are split with Windows semantics (both separators), sanitised exactly as slskd does, and every
result is resolved and checked to be inside `DOWNLOADS_DIR` before anyone opens it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from providers.errors import ProviderError
from providers.slskd.types import DownloadEvent, Transfer

PROVIDER = "slskd"
_RENAMED = re.compile(r"_\d+\Z")


class UnsafeDownloadPath(ProviderError):
    """A peer or event path that would land outside DOWNLOADS_DIR (or names no file)."""


class DownloadedFileMissing(ProviderError, FileNotFoundError):
    """slskd reported success but the file is not where the documented rule puts it."""


@dataclass(frozen=True)
class PathMapping:
    """slskd's view of its downloads root, and the same directory as Harmony sees it."""

    slskd_root: str
    local_root: Path

    @classmethod
    def from_config(cls) -> PathMapping:
        from providers.slskd.client import load_slskd_config  # the client imports this module

        config = load_slskd_config()
        return cls(slskd_root=config.downloads_dir, local_root=Path(settings.DOWNLOADS_DIR))


def split_remote_path(filename: str) -> tuple[str, ...]:
    """The peer's path as segments: Windows semantics, `\\` and `/` both separate, empty
    segments (doubled or leading separators) dropped."""
    return tuple(segment for segment in re.split(r"[\\/]", filename) if segment)


def sanitise_segment(segment: str) -> str:
    """slskd's Linux sanitising: NUL → `_`, a segment exactly `.` or `..` → `_` (0.26+)."""
    segment = segment.replace("\0", "_")
    return "_" if segment in (".", "..") else segment


def expected_relative_path(remote_filename: str) -> PurePosixPath:
    """`<remote parent dir name>/<file name>` (or just the name when there is no parent)."""
    segments = [sanitise_segment(s) for s in split_remote_path(remote_filename)]
    if not segments:
        raise UnsafeDownloadPath(
            f"remote filename {remote_filename!r:.200} names no file", provider=PROVIDER
        )
    return PurePosixPath(*segments[-2:])


def resolve_inside(root: Path, relative: PurePosixPath | str) -> Path:
    """`root/relative` resolved (symlinks followed); `UnsafeDownloadPath` if it leaves root."""
    base = root.resolve()
    if "\0" in str(relative):  # no file system accepts it; realpath would raise ValueError
        raise UnsafeDownloadPath(f"{relative!s:.200} contains a NUL byte", provider=PROVIDER)
    target = (base / relative).resolve()
    if target == base or not target.is_relative_to(base):
        raise UnsafeDownloadPath(f"{relative!s:.200} resolves outside {base}", provider=PROVIDER)
    return target


def expected_local_path(remote_filename: str, *, mapping: PathMapping) -> Path:
    """Where the documented rule puts this remote file in DOWNLOADS_DIR (it may not exist)."""
    return resolve_inside(mapping.local_root, expected_relative_path(remote_filename))


def map_slskd_path(local_filename: str, *, mapping: PathMapping) -> Path:
    """An event's `localFilename` (slskd's file system) as a path under DOWNLOADS_DIR."""
    root = mapping.slskd_root.replace("\\", "/").rstrip("/") + "/"
    path = local_filename.replace("\\", "/")
    if not path.startswith(root):
        raise UnsafeDownloadPath(
            f"{local_filename!r:.200} is not under SLSKD_DOWNLOADS_DIR {mapping.slskd_root}",
            provider=PROVIDER,
        )
    return resolve_inside(mapping.local_root, path[len(root) :])


def local_path_for(
    source: Transfer | str,
    *,
    expected_size: int | None = None,
    event: DownloadEvent | None = None,
    mapping: PathMapping | None = None,
) -> Path:
    """The finished file for a transfer (or a remote filename), inside DOWNLOADS_DIR.

    Tries the event's `localFilename`, then `<parent>/<name>`, then slskd's collision rename
    `<stem>_<digits><ext>` of the expected size; names compare NFC-normalised. Raises
    `DownloadedFileMissing` naming the expected path (slskd stores "Succeeded" *before* it
    moves the file, so callers poll briefly before treating this as a failure).
    """
    mapping = mapping or PathMapping.from_config()
    remote = source.filename if isinstance(source, Transfer) else source
    if expected_size is None and isinstance(source, Transfer):
        expected_size = source.size
    if event is not None:
        mapped = map_slskd_path(event.local_filename, mapping=mapping)
        if mapped.is_file():
            return mapped
    expected = expected_local_path(remote, mapping=mapping)
    found = _find_in_folder(expected, expected_size)
    if found is None:
        raise DownloadedFileMissing(
            f"{remote!r:.200} is not at {expected} (nor renamed beside it)", provider=PROVIDER
        )
    return resolve_inside(mapping.local_root, found.relative_to(mapping.local_root.resolve()))


def _find_in_folder(expected: Path, size: int | None) -> Path | None:
    """The exact name (NFC-equal) of the right size, else the newest `<stem>_<digits><ext>`."""
    folder = _nfc_sibling(expected.parent)
    if folder is None:
        return None
    want = _nfc(expected.name)
    stem, ext = _split_ext(want)
    exact, renamed = None, []
    for entry in folder.iterdir():
        if not entry.is_file() or (size is not None and entry.stat().st_size != size):
            continue
        name = _nfc(entry.name)
        if name == want:
            exact = entry
        else:
            entry_stem, entry_ext = _split_ext(name)
            if (
                entry_ext == ext
                and entry_stem.startswith(stem)
                and _RENAMED.fullmatch(entry_stem[len(stem) :])
            ):
                renamed.append(entry)
    if exact is not None:
        return exact
    return max(renamed, key=lambda p: p.stat().st_mtime_ns, default=None)


def _nfc_sibling(folder: Path) -> Path | None:
    """`folder` itself, or a sibling whose name is the same text in another normal form."""
    if folder.is_dir():
        return folder
    parent = folder.parent
    if not parent.is_dir():
        return None
    want = _nfc(folder.name)
    return next((p for p in parent.iterdir() if p.is_dir() and _nfc(p.name) == want), None)


def _split_ext(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, dot + ext) if dot and stem else (name, "")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
