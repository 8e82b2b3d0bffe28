"""Atomic moves: same and across file systems, collisions, and a crash at every step.

The invariant checked after every injected failure and every killed process: the source is
intact or the complete target exists, and nothing partial ever carries the target's name.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from library import moving
from library.moving import (
    TEMP_PREFIX,
    MoveVerificationError,
    TargetExists,
    cleanup_temporaries,
    file_hash,
    move_atomically,
)

REPO = Path(__file__).resolve().parents[2]
SHM = Path("/dev/shm")
SAME_FS_STEPS = ["synced", "placed", "dir_synced", "removing_source"]
CROSS_FS_STEPS = ["copy_chunk", "copied", "verified", "placed", "dir_synced", "removing_source"]


def _write(path: Path, size: int) -> str:
    data = os.urandom(size)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _assert_invariant(src: Path, dst: Path, digest: str) -> None:
    source_ok = src.exists() and file_hash(src) == digest
    target_ok = dst.exists() and file_hash(dst) == digest
    assert source_ok or target_ok, "neither the source nor a complete target exists"
    if dst.exists():
        assert target_ok, "a partial or foreign file carries the target name"


@pytest.fixture
def shm_dir(tmp_path):
    """A directory on tmpfs, i.e. another file system than tmp_path."""
    if not SHM.is_dir():
        pytest.skip("/dev/shm is missing")
    folder = SHM / f"harmony-test-{os.getpid()}-{tmp_path.name}"
    folder.mkdir()
    if folder.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("/dev/shm is on the same file system as the temporary directory")
    yield folder
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()


def test_same_fs_move_keeps_the_inode_and_removes_the_source(tmp_path):
    src = tmp_path / "in" / "a.flac"
    src.parent.mkdir()
    digest = _write(src, 10_000)
    inode = src.stat().st_ino
    dst = tmp_path / "music" / "Artist" / "Album" / "01 a.flac"
    assert move_atomically(src, dst) == dst
    assert not src.exists()
    assert dst.stat().st_ino == inode
    assert file_hash(dst) == digest


def test_cross_device_move_copies_verifies_and_removes_the_source(shm_dir, tmp_path):
    src = shm_dir / "a.flac"
    digest = _write(src, 3 * 1024 * 1024 + 17)
    dst = tmp_path / "music" / "a.flac"
    move_atomically(src, dst)
    assert not src.exists()
    assert file_hash(dst) == digest
    assert not list(dst.parent.glob(TEMP_PREFIX + "*"))


def test_different_existing_target_is_never_overwritten(tmp_path):
    src, dst = tmp_path / "new.mp3", tmp_path / "old.mp3"
    new, old = _write(src, 2000), _write(dst, 2000)
    with pytest.raises(TargetExists):
        move_atomically(src, dst)
    assert file_hash(src) == new and file_hash(dst) == old


def test_identical_existing_target_counts_as_done(shm_dir, tmp_path):
    src = shm_dir / "a.flac"
    digest = _write(src, 5000)
    dst = tmp_path / "a.flac"
    dst.write_bytes(src.read_bytes())
    assert move_atomically(src, dst) == dst
    assert not src.exists() and file_hash(dst) == digest


def test_missing_source_raises_and_touches_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        move_atomically(tmp_path / "gone.flac", tmp_path / "music" / "x.flac")
    assert not (tmp_path / "music" / "x.flac").exists()


def test_filesystem_without_hard_links_falls_back_to_a_checked_rename(tmp_path, monkeypatch):
    def no_links(*_args, **_kwargs):
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    src, dst = tmp_path / "a.ogg", tmp_path / "out" / "a.ogg"
    digest = _write(src, 1000)
    move_atomically(src, dst)
    assert not src.exists() and file_hash(dst) == digest
    other = tmp_path / "b.ogg"
    _write(other, 1000)
    with pytest.raises(TargetExists):
        move_atomically(other, dst)


def test_bad_copy_is_refused_and_the_source_kept(shm_dir, tmp_path, monkeypatch):
    src = shm_dir / "a.flac"
    digest = _write(src, 4096)
    dst = tmp_path / "a.flac"
    monkeypatch.setattr(moving, "file_hash", lambda _path: "0" * 64)
    with pytest.raises(MoveVerificationError):
        move_atomically(src, dst)
    assert not dst.exists() and file_hash(src) == digest
    assert not list(tmp_path.glob(TEMP_PREFIX + "*"))


class _Boom(OSError):
    pass


def _fail_at(step: str):
    def checkpoint(name: str) -> None:
        if name == step:
            raise _Boom(errno.EIO, f"injected failure at {step}")

    return checkpoint


@pytest.mark.parametrize("cross", [False, True], ids=["same-fs", "cross-fs"])
def test_failure_at_every_step_keeps_the_invariant_and_a_retry_finishes(
    cross, tmp_path, request, monkeypatch
):
    steps = CROSS_FS_STEPS if cross else SAME_FS_STEPS
    source_dir = request.getfixturevalue("shm_dir") if cross else tmp_path / "in"
    source_dir.mkdir(exist_ok=True)
    for step in steps:
        src, dst = source_dir / f"{step}.flac", tmp_path / "music" / f"{step}.flac"
        digest = _write(src, 2 * 1024 * 1024 + 5)
        monkeypatch.setattr(moving, "_checkpoint", _fail_at(step))
        with pytest.raises(_Boom):
            move_atomically(src, dst)
        _assert_invariant(src, dst, digest)
        monkeypatch.setattr(moving, "_checkpoint", lambda _name: None)
        cleanup_temporaries(tmp_path / "music")
        move_atomically(src, dst)
        assert not src.exists() and file_hash(dst) == digest, step


@pytest.mark.parametrize("call", ["fsync", "link", "unlink", "open"])
def test_failing_os_call_keeps_the_invariant(call, shm_dir, tmp_path, monkeypatch):
    src, dst = shm_dir / "a.flac", tmp_path / "music" / "a.flac"
    digest = _write(src, 100_000)
    real = getattr(os, call)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # let the first call through so the failure lands mid-move
            raise OSError(errno.EIO, f"injected {call} failure")
        return real(*args, **kwargs)

    monkeypatch.setattr(os, call, flaky)
    with contextlib.suppress(OSError):  # whether it fails depends on where the call lands
        move_atomically(src, dst)
    monkeypatch.setattr(os, call, real)
    _assert_invariant(src, dst, digest)


_CHILD = """
import sys
from pathlib import Path
from library import moving

stop_step, stop_count = sys.argv[3], int(sys.argv[4])
seen = {}

def pause(step):
    seen[step] = seen.get(step, 0) + 1
    if step == stop_step and seen[step] == stop_count:
        print(step, flush=True)
        sys.stdin.readline()  # blocks here until the parent kills us

moving._checkpoint = pause
moving.move_atomically(Path(sys.argv[1]), Path(sys.argv[2]))
print("finished", flush=True)
"""


@pytest.mark.parametrize(
    ("step", "count"),
    [
        ("copy_chunk", 1),
        ("copy_chunk", 12),
        ("copied", 1),
        ("verified", 1),
        ("placed", 1),
        ("dir_synced", 1),
        ("removing_source", 1),
    ],
)
def test_killed_process_mid_cross_device_move_leaves_source_or_target(
    step, count, shm_dir, tmp_path
):
    src, dst = shm_dir / "big.flac", tmp_path / "music" / "big.flac"
    digest = _write(src, 24 * 1024 * 1024)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(src), str(dst), step, str(count)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == step  # the child is now paused at `step`
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    _assert_invariant(src, dst, digest)
    cleanup_temporaries(tmp_path / "music")
    assert not list((tmp_path / "music").glob(TEMP_PREFIX + "*"))
    move_atomically(src, dst)  # start-up cleanup, then the retried job finishes the move
    assert not src.exists() and file_hash(dst) == digest


def test_cleanup_removes_only_temporaries(tmp_path):
    nested = tmp_path / "A" / "B"
    nested.mkdir(parents=True)
    (nested / f"{TEMP_PREFIX}abc").write_bytes(b"partial")
    (tmp_path / f"{TEMP_PREFIX}def").write_bytes(b"partial")
    (nested / "01 keep.flac").write_bytes(b"real")
    assert cleanup_temporaries(tmp_path) == 2
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["01 keep.flac"]


def test_cleanup_spares_young_temporaries_of_a_move_in_flight(tmp_path):
    young = tmp_path / f"{moving.TEMP_PREFIX}young"
    stale = tmp_path / "sub" / f"{moving.TEMP_PREFIX}stale"
    stale.parent.mkdir()
    young.write_bytes(b"x")
    stale.write_bytes(b"x")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert moving.cleanup_temporaries(tmp_path, min_age_s=3600) == 1
    assert young.exists() and not stale.exists()
