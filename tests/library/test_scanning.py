"""scan_library on real files: indexing, incremental runs, unreadable and vanished files."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command

from library.models import AuditEvent, LibraryFile, ScanRun, Track
from library.scanning import ScanError, scan_batch, scan_library, start_scan

pytestmark = pytest.mark.django_db


def _tags(n: int, album: str = "Album") -> dict[str, str]:
    return {
        "title": f"Song {n}",
        "artist": "Scan Artist",
        "album": album,
        "albumartist": "Scan Artist",
        "tracknumber": str(n),
        "date": "1999",
    }


@pytest.fixture
def music_files(library_dirs, audio_file):
    _, music = library_dirs
    folder = music / "Scan Artist" / "Album (1999)"
    return [
        audio_file(fmt, name=f"{n:02} Song {n}.{ext}", directory=folder, tags=_tags(n))
        for n, (fmt, ext) in enumerate([("flac", "flac"), ("mp3", "mp3"), ("ogg", "ogg")], 1)
    ]


def test_scan_indexes_files_with_tracks_albums_and_audit(music_files):
    run = scan_library()

    assert (run.state, run.seen, run.added, run.skipped, run.total) == ("finished", 3, 3, 0, 3)
    files = LibraryFile.objects.order_by("path")
    assert [f.path for f in files] == [
        "Scan Artist/Album (1999)/01 Song 1.flac",
        "Scan Artist/Album (1999)/02 Song 2.mp3",
        "Scan Artist/Album (1999)/03 Song 3.ogg",
    ]
    assert {f.format for f in files} == {"flac", "mp3", "ogg"}
    assert all(f.size and f.mtime_ns and f.duration_s for f in files)
    tracks = Track.objects.select_related("album__album_artist")
    assert tracks.count() == 3 and {t.album.title for t in tracks} == {"Album"}
    assert {t.album.album_artist.name for t in tracks} == {"Scan Artist"}
    assert AuditEvent.objects.filter(kind="scanned").count() == 1  # the run, with counts


def test_second_scan_skips_unchanged_files(music_files):
    scan_library()

    second = scan_library()

    assert (second.seen, second.added, second.updated, second.skipped) == (3, 0, 0, 3)
    assert LibraryFile.objects.count() == 3


def test_changed_file_is_read_again(music_files):
    scan_library()
    os.utime(music_files[0], ns=(1, 1))

    run = scan_library()

    assert (run.updated, run.skipped) == (1, 2)


def test_unreadable_file_is_recorded_with_reason(library_dirs, music_files):
    _, music = library_dirs
    (music / "junk.mp3").write_bytes(b"\x00" * 2048)

    run = scan_library()

    assert run.unreadable == 1 and run.added == 3
    unreadable = run.unreadable_files.get()
    assert unreadable.path == "junk.mp3" and unreadable.reason


def test_vanished_file_is_marked_missing_not_deleted(music_files):
    scan_library()
    music_files[1].unlink()

    run = scan_library()

    assert run.missing == 1
    gone = LibraryFile.objects.get(path__endswith="02 Song 2.mp3")
    assert gone.state == "missing" and AuditEvent.objects.filter(kind="missing", file=gone).exists()


def test_missing_file_that_returns_is_present_again(music_files, audio_file):
    scan_library()
    tmp = music_files[1].with_suffix(".bak")
    music_files[1].rename(tmp)
    scan_library()
    tmp.rename(music_files[1])

    scan_library()

    assert LibraryFile.objects.get(path__endswith="02 Song 2.mp3").state == "present"
    assert LibraryFile.objects.count() == 3


def test_scan_of_a_subfolder_leaves_other_files_alone(library_dirs, music_files, audio_file):
    _, music = library_dirs
    other = audio_file("mp3", name="x.mp3", directory=music / "Other", tags=_tags(9, "B"))
    scan_library()
    other.unlink()

    run = scan_library(music / "Scan Artist")

    assert run.seen == 3 and run.missing == 0


def test_scan_refuses_a_path_outside_music_dir(library_dirs, tmp_path):
    with pytest.raises(ScanError):
        scan_library(tmp_path)


def test_queued_run_is_claimed_once(music_files):
    run = start_scan()
    scan_library(run=run)

    again = scan_library(run=run)

    assert again.state == "finished" and ScanRun.objects.count() == 1


def test_scan_batch_query_count_is_bounded(library_dirs, audio_file, django_assert_max_num_queries):
    _, music = library_dirs
    paths = [
        audio_file(
            "mp3", name=f"{n}.mp3", directory=music / f"A{n % 3}", tags=_tags(n, f"Al{n % 4}")
        )
        for n in range(24)
    ]
    run = ScanRun.objects.create(path=str(music), state="running")

    with django_assert_max_num_queries(16):
        scan_batch(paths, run=run)

    assert run.added == 24 and LibraryFile.objects.count() == 24
    with django_assert_max_num_queries(8):
        scan_batch(paths, run=run)
    assert run.skipped == 24


def test_harmony_scan_command_reports_counts(music_files, capsys):
    call_command("harmony_scan", "--no-progress")

    out = capsys.readouterr().out
    assert "3 seen, 3 added" in out


def test_files_naming_an_album_but_no_artist_share_one_album(library_dirs, audio_file):
    _, music = library_dirs
    for n in (1, 2):
        tags = {"title": f"Song {n}", "album": "Nobody's Album"}
        audio_file("flac", name=f"{n:02}.flac", directory=music / "untagged", tags=tags)

    scan_library()

    tracks = list(Track.objects.select_related("album"))
    assert len(tracks) == 2 and all(t.album is not None for t in tracks)
    assert len({t.album_id for t in tracks}) == 1 and tracks[0].album.album_artist is None
