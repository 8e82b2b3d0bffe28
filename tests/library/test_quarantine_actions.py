"""The quarantine panel's actions on real files: retry import, release anyway, delete, each
audited; and the scheduled import that picks dropped files up once they settle."""

from __future__ import annotations

import os
import time

import pytest

from library import importing, tasks
from library.importing import import_dir, import_pending
from library.models import AuditEvent, LibraryFile
from library.quarantine import quarantine_dir, quarantined_files, quarantined_path

pytestmark = pytest.mark.django_db

TAGS = {"title": "Fixed Song", "artist": "Fix Artist", "album": "Fix Album", "date": "2011"}


def _quarantine_untagged(audio_file, name: str = "untagged.mp3") -> str:
    audio_file("mp3", name=name, directory=import_dir())
    import_pending(actor="system", settle_seconds=0)
    [entry] = [item for item in quarantined_files() if item.name == name]
    assert entry.reason == "untagged"
    return entry.name


def test_a_quarantined_file_is_listed_with_its_reason(library_dirs, audio_file):
    name = _quarantine_untagged(audio_file)
    [entry] = quarantined_files()
    assert entry.name == name and entry.size > 0
    assert "no title or artist" in entry.detail and entry.original_path.endswith(name)


def test_retry_imports_the_file_once_its_tags_are_fixed(library_dirs, audio_file):
    name = _quarantine_untagged(audio_file)
    tagged = audio_file("mp3", name="tagged.mp3", tags=TAGS)
    os.replace(tagged, quarantined_path(name))  # a person fixed the tags in place

    result = importing.retry_quarantined(name, actor="user:alice")

    assert result.status == "imported"
    assert quarantined_files() == [] and not list(quarantine_dir().glob("*.reason.json"))
    assert AuditEvent.objects.filter(kind="ingested", actor="user:alice").exists()


def test_retry_of_a_still_broken_file_quarantines_it_again(library_dirs, audio_file):
    name = _quarantine_untagged(audio_file)
    result = importing.retry_quarantined(name, actor="user:alice")
    assert result.status == "quarantined" and result.reason == "untagged"
    assert [item.reason for item in quarantined_files()] == ["untagged"]
    assert AuditEvent.objects.filter(kind="quarantined", actor="user:alice").exists()


def test_release_puts_an_untagged_file_into_the_library_by_its_name(library_dirs, audio_file):
    _, music = library_dirs
    name = _quarantine_untagged(audio_file, name="Lost Tune.mp3")

    result = importing.release_quarantined(name, actor="user:alice")

    assert result.status == "imported", result
    row = LibraryFile.objects.get()
    assert "Unknown artist" in row.path and "Lost Tune" in row.path
    assert (music / row.path).is_file() and quarantined_files() == []
    assert AuditEvent.objects.filter(kind="ingested", actor="user:alice").exists()


def test_delete_removes_the_file_and_audits_who_and_why(library_dirs, audio_file):
    name = _quarantine_untagged(audio_file)
    importing.delete_quarantined(name, actor="user:alice")
    assert quarantined_files() == [] and not any(quarantine_dir().iterdir())
    event = AuditEvent.objects.get(kind="deleted")
    assert event.actor == "user:alice" and event.details["reason"] == "untagged"


@pytest.mark.parametrize("name", ["../secret.mp3", "x.mp3.reason.json", "missing.mp3", ""])
def test_actions_refuse_anything_but_a_quarantined_file(library_dirs, audio_file, name):
    _quarantine_untagged(audio_file)
    (quarantine_dir().parent / "secret.mp3").write_bytes(b"keep me")
    with pytest.raises(FileNotFoundError):
        importing.delete_quarantined(name, actor="user:mallory")
    assert (quarantine_dir().parent / "secret.mp3").exists()


def test_the_scheduled_import_waits_for_a_file_to_settle(library_dirs, audio_file, settings):
    from harmony_site.config import get_config

    dropped = audio_file("mp3", name="a.mp3", directory=import_dir(), tags=TAGS)
    config = get_config()
    assert config["IMPORT_SETTLE_S"] > 0
    tasks.import_folder()
    assert dropped.exists(), "a file written just now is left for the next run"

    settled = time.time() - config["IMPORT_SETTLE_S"] - 1
    os.utime(dropped, (settled, settled))  # its mtime is old, but utime just bumped its ctime
    tasks.import_folder()
    assert dropped.exists(), "a changing inode (ctime) still counts as arriving"


def test_the_import_schedule_follows_its_knob():
    from downloads.jobs import schedules
    from tests.fakes.spotify import knobs_set

    assert schedules.schedule_specs()["library-import"]["func"] == "library.tasks.import_folder"
    with knobs_set(IMPORT_INTERVAL_MINUTES="0"):
        assert "library-import" not in schedules.schedule_specs()
