"""Crash-safe file writes: atomic text replacement, durable renames, owner-only key files, and
the lock that serialises config writes between the web workers and the task cluster.

Plain standard library, so anything (settings at start-up, library moves, watchlist files) may
use it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

_held_locks = threading.local()


@contextlib.contextmanager
def locked(config_dir: Path) -> Iterator[None]:
    """Serialise config writes between the web workers and the task cluster.

    Re-entrant within a thread (a settings write creates the Fernet key under the same lock);
    flock itself is not, since each `open` is a separate lock holder.
    """
    held: set[Path] = _held_locks.__dict__.setdefault("dirs", set())
    if config_dir in held:
        yield
        return
    with open(config_dir / ".config.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        held.add(config_dir)
        try:
            yield
        finally:
            held.discard(config_dir)
            fcntl.flock(handle, fcntl.LOCK_UN)


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable (the directory entry itself is flushed)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text`: temp file, fsync, rename, fsync the folder.

    Readers see the old file or the new one, never a half-written one, even after a crash.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def ensure_key_file(path: Path, generate: Callable[[], str]) -> str:
    """Create a key file once (owner-only, under the config lock) and return its content.

    Shared by the Django secret key and the Fernet key in `harmony_site/secrets.py`.
    """
    with locked(path.parent):
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(generate())
        return path.read_text().strip()
