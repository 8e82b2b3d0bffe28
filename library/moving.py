"""Atomic, no-clobber file moves that survive a crash at any step.

Invariant: at every instant either the source or the complete target exists (often both, for a
moment), and a partial file never sits under the target's name. Temporary copies are named
`.harmony-tmp-*`; `cleanup_temporaries` removes leftovers at start-up.

Same file system: fsync the source, hard-link it to the target (the link fails if the target
exists, so nothing is overwritten), fsync the directory, then unlink the source.
Across file systems: copy into a temporary file in the target directory while hashing the
source, fsync, re-read and compare size and hash, link into place, fsync the directory, and only
then remove the source. A retry after a crash finds the identical target and just finishes.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import secrets
import time
from pathlib import Path

from harmony_site.files import fsync_dir

logger = logging.getLogger("hdm.move")

TEMP_PREFIX = ".harmony-tmp-"
_CHUNK = 1024 * 1024
# Errors meaning "this file system cannot hard-link here": fall back to a checked rename.
_NO_LINK = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


class TargetExists(Exception):
    """A different file already has the target name; the dedupe policy must decide."""


class MoveVerificationError(OSError):
    """The copy on the target file system does not match the source (size or hash)."""


def _checkpoint(step: str) -> None:
    """Named step boundary. A no-op; the crash tests replace it to fail or pause at each step."""


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's content as hex, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def move_atomically(src: str | Path, dst: str | Path) -> Path:
    """Move `src` to `dst` without ever clobbering or exposing a partial file; returns `dst`.

    Raises TargetExists when a different file holds `dst`. If `dst` already holds the same
    content (a retry after a crash), the source is removed and the move counts as done.
    """
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise FileNotFoundError(errno.ENOENT, "source does not exist", str(src))
    _make_dirs(dst.parent)
    if dst.exists() or dst.is_symlink():
        return _finish_existing(src, dst)
    if src.stat().st_dev == dst.parent.stat().st_dev:
        try:
            _move_same_fs(src, dst)
        except OSError as exc:
            if exc.errno != errno.EXDEV:  # bind mounts share st_dev yet refuse links
                raise
            _move_cross_fs(src, dst)
    else:
        _move_cross_fs(src, dst)
    logger.info("hdm.move.file_placed", extra={"source": str(src), "target": str(dst)})
    return dst


def _finish_existing(src: Path, dst: Path) -> Path:
    """The target name is taken: finish a retried move of identical content, or refuse."""
    if src.absolute() == dst.absolute():
        return dst
    same = dst.is_file() and dst.stat().st_size == src.stat().st_size
    if not (same and (src.samefile(dst) or file_hash(src) == file_hash(dst))):
        raise TargetExists(f"{dst} already exists with different content")
    _remove_source(src)
    logger.info("hdm.move.already_done", extra={"source": str(src), "target": str(dst)})
    return dst


def _move_same_fs(src: Path, dst: Path) -> None:
    _fsync_file(src)
    _checkpoint("synced")
    _place(src, dst)
    _checkpoint("placed")
    fsync_dir(dst.parent)
    _checkpoint("dir_synced")
    _remove_source(src)


def _move_cross_fs(src: Path, dst: Path) -> None:
    tmp = dst.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    try:
        expected = _copy_synced(src, tmp)
        _checkpoint("copied")
        if tmp.stat().st_size != src.stat().st_size or file_hash(tmp) != expected:
            raise MoveVerificationError(errno.EIO, "copy does not match the source", str(tmp))
        _checkpoint("verified")
        _place(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    _checkpoint("placed")
    fsync_dir(dst.parent)
    _checkpoint("dir_synced")
    _remove_source(src)


def _copy_synced(src: Path, tmp: Path) -> str:
    """Copy src into a new tmp file, fsync it; returns the hash of what was read from src."""
    digest = hashlib.sha256()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            _checkpoint("copy_chunk")
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _place(path: Path, dst: Path) -> None:
    """Give `path`'s inode the name `dst`, refusing to replace anything already there."""
    try:
        os.link(path, dst)
    except FileExistsError:
        raise TargetExists(f"{dst} appeared while moving") from None
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        # No hard links here (some network/FUSE file systems): a checked rename. The gap between
        # the check and the rename is the only window in which a racing writer could be replaced.
        if dst.exists():
            raise TargetExists(f"{dst} appeared while moving") from None
        os.rename(path, dst)


def _remove_source(src: Path) -> None:
    _checkpoint("removing_source")
    src.unlink(missing_ok=True)
    fsync_dir(src.parent)


def _make_dirs(folder: Path) -> None:
    """mkdir -p, fsyncing each parent so a new directory survives a power cut."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another worker made it first
            path.mkdir()
        fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def cleanup_temporaries(root: str | Path, *, min_age_s: float = 0) -> int:
    """Remove `.harmony-tmp-*` leftovers of interrupted moves under `root`; returns the count.

    `min_age_s` spares temporaries younger than that: another host sharing the storage may be
    in the middle of a move while this one starts.
    """
    removed = 0
    cutoff = time.time() - min_age_s
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if not name.startswith(TEMP_PREFIX):
                continue
            path = os.path.join(folder, name)
            with contextlib.suppress(FileNotFoundError):
                if min_age_s and os.stat(path).st_mtime > cutoff:
                    continue
                os.unlink(path)
                removed += 1
    if removed:
        logger.info("hdm.move.temporaries_removed", extra={"root": str(root), "count": removed})
    return removed
