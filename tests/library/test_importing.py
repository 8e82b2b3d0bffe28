"""Manual import from the drop folder, end to end with real files."""

from __future__ import annotations

import io
import os
from urllib.parse import unquote_to_bytes

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.services import create_user
from library.importing import import_dir, import_pending
from library.models import AuditEvent, LibraryFile

pytestmark = pytest.mark.django_db

TAGS = {
    "title": "Imported Song",
    "artist": "Drop Artist",
    "album": "Drop Album",
    "albumartist": "Drop Artist",
    "tracknumber": "4",
    "date": "2011",
}


def test_tagged_file_is_filed_into_the_library(library_dirs, audio_file):
    _, music = library_dirs
    dropped = audio_file("flac", directory=import_dir() / "some folder", tags=TAGS)

    summary = import_pending(actor="user:alice", settle_seconds=0)

    assert summary.counts == {"imported": 1}
    row = LibraryFile.objects.get()
    assert row.path == "Drop Artist/Drop Album (2011)/04 Imported Song.flac"
    assert (music / row.path).is_file() and not dropped.exists()
    assert not (import_dir() / "some folder").exists() and import_dir().is_dir()
    assert row.source["import"] == "some folder/" + dropped.name
    assert AuditEvent.objects.get(kind="ingested").actor == "user:alice"


def test_untagged_and_unreadable_files_are_quarantined(library_dirs, audio_file):
    downloads, _ = library_dirs
    audio_file("mp3", name="untagged.mp3", directory=import_dir())
    (import_dir() / "broken.flac").write_bytes(b"nope" * 500)

    summary = import_pending(actor="system", settle_seconds=0)

    assert summary.counts == {"quarantined": 2}
    reasons = {r.reason for _, r in summary.results}
    assert reasons == {"untagged", "unreadable"}
    assert (downloads / ".quarantine" / "untagged.mp3").exists()
    assert LibraryFile.objects.count() == 0


def test_the_same_file_dropped_twice_is_one_entry(library_dirs, audio_file):
    audio_file("mp3", name="a.mp3", directory=import_dir(), tags=TAGS)
    import_pending(actor="system", settle_seconds=0)
    audio_file("mp3", name="a.mp3", directory=import_dir(), tags=TAGS)

    summary = import_pending(actor="system", settle_seconds=0)

    assert summary.counts == {"duplicate": 1} and LibraryFile.objects.count() == 1


def test_files_still_arriving_wait_for_the_next_run(library_dirs, audio_file):
    audio_file("mp3", name="a.mp3", directory=import_dir(), tags=TAGS)

    assert import_pending(actor="system", settle_seconds=3600).total == 0
    assert (import_dir() / "a.mp3").exists()


def test_harmony_import_command(library_dirs, audio_file, capsys):
    audio_file("ogg", name="a.ogg", directory=import_dir(), tags=TAGS)

    call_command("harmony_import")

    assert "1 imported" in capsys.readouterr().out


def _pages_for(row: LibraryFile) -> list[str]:
    return [
        "/api/v1/library/files",
        f"/api/v1/library/files/{row.pk}",
        "/api/v1/activity",
        f"/api/v1/library/tracks/{row.track_id}",
        f"/ui/library/tracks/{row.track_id}",
        "/ui/library",
        "/ui/",
    ]


def _signed_in() -> Client:
    user = create_user(username="alice", password="pass-word-0123", role="admin", actor="test")
    client = Client()
    client.force_login(user)
    return client


def test_a_non_utf8_file_name_gets_a_safe_reversible_name_and_every_page_answers(
    library_dirs, audio_file
):
    dropped = audio_file("flac", name="tmp.flac", directory=import_dir(), tags=TAGS)
    raw = b"Bj\xf6rk 100% live.flac"  # Latin-1, as an old Windows share or zip leaves it
    os.rename(os.fsencode(dropped), os.path.join(os.fsencode(import_dir()), raw))

    summary = import_pending(actor="system", settle_seconds=0)

    assert summary.counts == {"imported": 1}
    row = LibraryFile.objects.get()
    assert row.source["import"] == "Bj%F6rk 100%25 live.flac"
    assert unquote_to_bytes(row.source["import"]) == raw  # the original name, byte for byte
    client = _signed_in()
    for page in _pages_for(row):
        assert client.get(page).status_code == 200, page


# Only SQLite could ever store such a name: PostgreSQL refuses lone surrogates outright.
@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL never stored such names")
def test_a_stored_undecodable_name_never_breaks_a_page(library_dirs, audio_file):
    audio_file("flac", name="ok.flac", directory=import_dir(), tags=TAGS)
    import_pending(actor="system", settle_seconds=0)
    row = LibraryFile.objects.get()
    # Written by an earlier version: the name as Python decoded it (a lone surrogate).
    LibraryFile.objects.filter(pk=row.pk).update(source={"import": "Bj\udcf6rk.flac"})
    AuditEvent.objects.update(details={"from_path": "/downloads/import/Bj\udcf6rk.flac"})
    client = _signed_in()
    for page in _pages_for(row):
        assert client.get(page).status_code == 200, page


def test_imports_wait_while_a_data_directory_is_below_the_free_space_floor(
    library_dirs, audio_file, knobs
):
    dropped = audio_file("flac", directory=import_dir(), tags=TAGS)
    knobs["DISK_MIN_FREE_MB"] = 10**12
    err = io.StringIO()
    call_command("harmony_import", stdout=io.StringIO(), stderr=err)
    assert dropped.is_file() and LibraryFile.objects.count() == 0
    assert "below DISK_MIN_FREE_MB" in err.getvalue()  # said in words, not a traceback
    knobs["DISK_MIN_FREE_MB"] = 0
    assert import_pending(actor="system", settle_seconds=0).counts == {"imported": 1}


def test_a_disk_that_fills_during_an_import_leaves_the_files_for_the_next_run(
    library_dirs, audio_file, monkeypatch, caplog
):
    import errno

    from library import importing

    first = audio_file("flac", name="a.flac", directory=import_dir(), tags=TAGS)
    second = audio_file("mp3", name="b.mp3", directory=import_dir(), tags=TAGS)

    def full(path, *, actor):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(importing, "import_file", full)
    summary = import_pending(actor="system", settle_seconds=0)
    assert summary.total == 0 and first.is_file() and second.is_file()
    assert summary.stopped.startswith("the disk is full")
    (failed,) = [r for r in caplog.records if r.getMessage() == "hdm.import.failed"]
    assert failed.detail.startswith("the disk is full")
