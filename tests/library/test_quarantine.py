"""Quarantine: files move aside with a reason file, never overwrite, never disappear."""

from __future__ import annotations

import json
import logging

from library.moving import file_hash
from library.quarantine import QUARANTINE_DIRNAME, quarantine_file


def test_file_moves_into_quarantine_with_reason(library_dirs, caplog):
    downloads, _music = library_dirs
    src = downloads / "user" / "song.flac"
    src.parent.mkdir()
    src.write_bytes(b"bad audio")
    digest = file_hash(src)
    with caplog.at_level(logging.WARNING, logger="hdm.quarantine"):
        moved = quarantine_file(src, reason="duration_mismatch", detail="12.0 s, wanted 200.0 s")
    assert moved == downloads / QUARANTINE_DIRNAME / "song.flac"
    assert not src.exists() and file_hash(moved) == digest
    record = json.loads((moved.parent / "song.flac.reason.json").read_text())
    assert record["reason"] == "duration_mismatch"
    assert record["detail"] == "12.0 s, wanted 200.0 s"
    assert record["original_path"] == str(src)
    assert record["quarantined_at"]
    assert [r.message for r in caplog.records] == ["hdm.quarantine.added"]


def test_same_name_twice_gets_a_unique_name_and_keeps_both(library_dirs):
    downloads, _music = library_dirs
    first, second = downloads / "a" / "x.mp3", downloads / "b" / "x.mp3"
    for path, data in ((first, b"one"), (second, b"two")):
        path.parent.mkdir()
        path.write_bytes(data)
    one = quarantine_file(first, reason="unreadable", detail="1")
    two = quarantine_file(second, reason="unreadable", detail="2")
    assert one.name == "x.mp3" and two.name == "x (1).mp3"
    assert one.read_bytes() == b"one" and two.read_bytes() == b"two"
    assert json.loads((two.parent / "x (1).mp3.reason.json").read_text())["detail"] == "2"


def test_failed_move_leaves_the_source_and_no_stray_reason(library_dirs, monkeypatch):
    import pytest

    from library import quarantine

    downloads, _music = library_dirs
    src = downloads / "song.flac"
    src.write_bytes(b"data")

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(quarantine, "move_atomically", broken)
    with pytest.raises(OSError):
        quarantine_file(src, reason="unreadable", detail="x")
    assert src.exists()
    assert not list((downloads / QUARANTINE_DIRNAME).iterdir())


def test_longest_file_name_still_fits_with_its_reason_file(library_dirs):
    downloads, _music = library_dirs
    name = "é" * 123 + ".flac"  # 251 bytes: legal, but no room for ".reason.json"
    for index in range(2):
        src = downloads / str(index) / name
        src.parent.mkdir()
        src.write_bytes(b"x")
        moved = quarantine_file(src, reason="unreadable", detail="d")
        assert moved.suffix == ".flac" and moved.exists()
        reason = moved.with_name(moved.name + ".reason.json")
        assert len(reason.name.encode()) <= 255 and reason.exists()
