"""ingest_file end to end with real audio files, real tags and real moves."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mutagen
import pytest
from django.db import DatabaseError, connection

from library import services
from library.models import AuditEvent, LibraryFile, Track
from library.services import ingest_file
from providers.types import TrackMeta

pytestmark = pytest.mark.django_db

META = TrackMeta(
    title="Déjà Vu",
    artists=("Beyoncé", "JAY-Z"),
    album="B'Day",
    album_artist="Beyoncé",
    release_date="2006-09-01",
    release_date_precision="day",
    track_number=3,
    track_total=10,
    disc_number=1,
    disc_total=1,
    duration_ms=1000,
    isrc="USSM10603618",
    spotify_track_id="0sV6qQ6Hk2qf2Zs4N1dkQ1",
    spotify_album_id="1Xkq0JoFQ6nQ3yeHgGCy6Y",
)
SOURCE = {"username": "peer", "filename": "@@a\\Beyonce\\03 Deja Vu.flac", "size": 0, "job_id": 7}
FORMATS = ["flac", "mp3", "m4a", "alac", "ogg", "opus"]


def _kinds(**filters) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("kind", flat=True))


@pytest.mark.parametrize("fmt", FORMATS)
def test_ingest_each_format_tags_names_moves_and_records(fmt, library_dirs, audio_file):
    downloads, music = library_dirs
    src = audio_file(fmt, directory=downloads)

    result = ingest_file(src, meta=META, source=SOURCE, actor="job:7")

    assert result.status == "imported", result
    row = result.library_file
    target = music / row.path
    assert target.is_file() and not src.exists()
    assert row.path.startswith("Beyoncé/B'Day (2006)/03 Déjà Vu.")
    assert row.state == "present" and row.content_hash and row.source == SOURCE
    tags = mutagen.File(target, easy=True)
    assert tags is not None and "Déjà Vu" in str(tags.tags)
    track = row.track
    assert (track.title, track.artists, track.isrc) == ("Déjà Vu", "Beyoncé; JAY-Z", META.isrc)
    assert (track.artist.name, track.album.title, track.album.album_artist.name) == (
        "Beyoncé",
        "B'Day",
        "Beyoncé",
    )
    assert _kinds(file=row) == ["ingested"]


def test_same_file_submitted_twice_gives_one_entry(library_dirs, audio_file):
    downloads, music = library_dirs
    first = ingest_file(
        audio_file("flac", directory=downloads), meta=META, source=SOURCE, actor="job:7"
    )
    copy = audio_file("flac", directory=downloads)

    second = ingest_file(copy, meta=META, source=SOURCE, actor="job:8")

    assert second.status == "duplicate" and second.reason == "same_file"
    assert second.library_file == first.library_file
    assert LibraryFile.objects.count() == 1 and Track.objects.count() == 1
    assert not copy.exists()  # byte-identical to the library copy: nothing is lost
    assert _kinds(kind="skipped_duplicate") == ["skipped_duplicate"]


def test_redelivered_ingest_after_the_move_finds_the_row(library_dirs, audio_file):
    downloads, _ = library_dirs
    src = audio_file("mp3", directory=downloads)
    first = ingest_file(src, meta=META, source=SOURCE, actor="job:7")

    again = ingest_file(src, meta=META, source=SOURCE, actor="job:7")

    assert again.status == "imported" and again.reason == "already_ingested"
    assert again.library_file == first.library_file
    assert LibraryFile.objects.count() == 1


def test_upgrade_mp3_to_flac_recycles_the_old_file(library_dirs, audio_file):
    downloads, music = library_dirs
    old = ingest_file(
        audio_file("mp3", directory=downloads, bitrate=128), meta=META, source=SOURCE, actor="job:1"
    ).library_file

    result = ingest_file(
        audio_file("flac", directory=downloads), meta=META, source=SOURCE, actor="job:2"
    )

    assert result.status == "upgraded"
    old.refresh_from_db()
    assert old.state == "recycled" and not (music / old.path).exists()
    recycled = Path(old.moved_to)
    assert recycled.is_file() and recycled.is_relative_to(downloads / ".recycle")
    assert (music / result.library_file.path).is_file()
    assert result.library_file.track_id == old.track_id
    assert "recycled" in _kinds(file=old) and "upgraded" in _kinds(file=result.library_file)


def test_worse_copy_is_skipped_and_parked_in_recycle(library_dirs, audio_file):
    downloads, _ = library_dirs
    kept = ingest_file(
        audio_file("flac", directory=downloads), meta=META, source=SOURCE, actor="job:1"
    )
    worse = audio_file("mp3", directory=downloads, bitrate=128)

    result = ingest_file(worse, meta=META, source=SOURCE, actor="job:2")

    assert (result.status, result.reason) == ("duplicate", "same_recording_not_better")
    assert result.library_file == kept.library_file
    assert not worse.exists() and list((downloads / ".recycle" / "skipped").iterdir())


def test_same_recording_found_by_name_when_ids_differ(library_dirs, audio_file):
    downloads, _ = library_dirs
    ingest_file(audio_file("flac", directory=downloads), meta=META, source=SOURCE, actor="job:1")
    by_name = replace(META, title="Deja Vu (feat. Jay-Z)", spotify_track_id="", isrc="")

    result = ingest_file(
        audio_file("mp3", directory=downloads), meta=by_name, source=SOURCE, actor="job:2"
    )

    assert result.status == "duplicate"


def test_unreadable_file_is_quarantined_with_reason(library_dirs):
    downloads, music = library_dirs
    bad = downloads / "broken.flac"
    bad.write_bytes(b"not audio at all" * 100)

    result = ingest_file(bad, meta=META, source=SOURCE, actor="job:9")

    assert result.status == "quarantined" and result.library_file is None
    assert result.reason in {"unreadable", "wrong_format"}
    assert not bad.exists() and (downloads / ".quarantine" / "broken.flac").exists()
    assert not list(music.iterdir()) and LibraryFile.objects.count() == 0
    assert _kinds() == ["quarantined"]


def test_size_mismatch_is_quarantined(library_dirs, audio_file):
    downloads, _ = library_dirs
    src = audio_file("flac", directory=downloads)

    result = ingest_file(src, meta=META, source=SOURCE, expected_size=1, actor="job:9")

    assert (result.status, result.reason) == ("quarantined", "size_mismatch")


def test_failed_move_rolls_back_rows_and_keeps_the_source(library_dirs, audio_file, monkeypatch):
    downloads, music = library_dirs
    src = audio_file("flac", directory=downloads)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "move_atomically", crash)
    with pytest.raises(OSError):
        ingest_file(src, meta=META, source=SOURCE, actor="job:7")

    assert src.exists() and LibraryFile.objects.count() == 0 and not AuditEvent.objects.exists()
    monkeypatch.undo()
    assert ingest_file(src, meta=META, source=SOURCE, actor="job:7").status == "imported"


@pytest.mark.django_db(transaction=True)
def test_failed_commit_after_the_move_puts_the_file_back(library_dirs, audio_file, monkeypatch):
    downloads, music = library_dirs
    src = audio_file("flac", directory=downloads)

    def failing_commit():
        raise DatabaseError("commit failed")

    monkeypatch.setattr(connection, "commit", failing_commit)
    with pytest.raises(DatabaseError, match="commit failed"):
        ingest_file(src, meta=META, source=SOURCE, actor="job:7")
    monkeypatch.undo()

    assert src.exists() and not any(p.is_file() for p in music.rglob("*"))
    assert LibraryFile.objects.count() == 0


def test_mark_wrong_file_quarantines_and_audits(library_dirs, audio_file):
    downloads, music = library_dirs
    row = ingest_file(
        audio_file("flac", directory=downloads), meta=META, source=SOURCE, actor="job:1"
    ).library_file

    services.mark_wrong_file(row, actor="user:alice")

    row.refresh_from_db()
    assert row.state == "quarantined" and Path(row.moved_to).is_file()
    assert not (music / row.path).exists()
    event = AuditEvent.objects.get(kind="wrong_file")
    assert event.actor == "user:alice" and event.details["source"] == SOURCE


def test_recycle_file_moves_it_out_and_is_idempotent(library_dirs, audio_file):
    downloads, music = library_dirs
    row = ingest_file(
        audio_file("flac", directory=downloads), meta=META, source=SOURCE, actor="job:1"
    ).library_file

    services.recycle_file(row, actor="user:alice")
    services.recycle_file(row, actor="user:alice")

    row.refresh_from_db()
    assert row.state == "recycled" and Path(row.moved_to).is_file()
    assert _kinds(kind="recycled") == ["recycled"]


def test_crash_after_the_move_before_the_row_is_recovered_on_retry(library_dirs, audio_file):
    downloads, music = library_dirs
    src = audio_file("flac", directory=downloads)
    # What a crash between the rename and the commit leaves: the target, no source, no row.
    target = music / "Beyoncé" / "B'Day (2006)" / "03 Déjà Vu.flac"
    target.parent.mkdir(parents=True)
    src.rename(target)

    result = ingest_file(src, meta=META, source=SOURCE, actor="job:7")

    assert (result.status, result.reason) == ("imported", "recovered")
    assert result.library_file.path == "Beyoncé/B'Day (2006)/03 Déjà Vu.flac"
    assert LibraryFile.objects.count() == 1


def test_a_vanished_source_never_promoted_is_reported(library_dirs):
    downloads, _ = library_dirs

    result = ingest_file(downloads / "gone.flac", meta=META, source=SOURCE, actor="job:7")

    assert (result.status, result.reason) == ("quarantined", "source_missing")


def test_unknown_file_at_the_target_is_never_overwritten(library_dirs, audio_file):
    downloads, music = library_dirs
    squatter = music / "Beyoncé" / "B'Day (2006)" / "03 Déjà Vu.flac"
    squatter.parent.mkdir(parents=True)
    squatter.write_bytes(b"someone else's file")
    src = audio_file("flac", directory=downloads)

    result = ingest_file(src, meta=META, source=SOURCE, actor="job:7")

    assert (result.status, result.reason) == ("quarantined", "target_exists")
    assert squatter.read_bytes() == b"someone else's file"


def test_the_stored_tag_snapshot_is_what_was_written(library_dirs, audio_file):
    downloads, _ = library_dirs
    src = audio_file("flac", directory=downloads, tags={"title": "Old Title", "composer": "Keep"})

    row = ingest_file(src, meta=META, source=SOURCE, actor="job:7").library_file

    assert row.tags["TITLE"] == ["Déjà Vu"] and row.tags["COMPOSER"] == ["Keep"]
    assert row.tags["ISRC"] == [META.isrc]


def test_an_artist_spelled_in_another_case_joins_the_existing_folder(library_dirs, audio_file):
    downloads, music = library_dirs
    first = ingest_file(audio_file("flac", directory=downloads), meta=META, source=SOURCE,
                        actor="t")  # fmt: skip
    other = replace(
        META, title="Halo", album="I Am\u202e", album_artist="BEYONCÉ", artists=("BEYONCÉ",),
        isrc="USSM10804554", spotify_track_id="4JehYebiI9JE8sR8MisGVb", spotify_album_id="x1",
    )  # fmt: skip
    second = ingest_file(audio_file("flac", directory=downloads, name="b.flac"), meta=other,
                         source=SOURCE, actor="t")  # fmt: skip
    assert second.status == "imported", second
    assert first.library_file.path.startswith("Beyoncé/")
    assert second.library_file.path == "Beyoncé/I Am (2006)/03 Halo.flac"
    assert sorted(p.name for p in music.iterdir()) == ["Beyoncé"]
