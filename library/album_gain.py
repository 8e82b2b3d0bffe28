"""ReplayGain album gain: written into every file of an album once the album is complete."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import transaction

from harmony_site.config import get_config
from harmony_site.files import fsync_dir
from library import catalog, naming
from library.analysis import album_loudness
from library.models import Album, LibraryFile
from library.moving import TEMP_PREFIX, file_hash
from library.quality import QualityProfile
from library.tagging import read_audio
from library.tagging.formats import open_audio
from library.tagging.replaygain import ReplayGain, write_replaygain
from library.verification import verify_content

logger = logging.getLogger("hdm.verify")


def album_is_complete(album: Album) -> bool:
    """Every track the album lists has a file in the library."""
    if not album.track_total:
        return False
    owned = (
        LibraryFile.objects.filter(track__album=album, state=LibraryFile.State.PRESENT)
        .values("track_id")
        .distinct()
        .count()
    )
    return owned >= album.track_total


def enqueue_album_gain(album_id: int) -> None:
    """Within a transaction: once the album is complete, run `apply_album_gain` after commit.

    A lost task only delays album gain: a library re-verify adds it to complete albums.
    """
    album = Album.objects.filter(pk=album_id).first()
    if album is None or not get_config()["REPLAYGAIN"] or not album_is_complete(album):
        return
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task("library.tasks.run_album_gain", album_id, group="replaygain")
    )


def apply_album_gain(album_id: int) -> bool:
    """Write album gain and peak into every file of a complete album; False when it is not.

    The album is measured as one programme (all its 400 ms blocks gated together). Each file
    is rewritten through a copy renamed over it, so a crash leaves the old or the new file.
    """
    album = Album.objects.filter(pk=album_id).first()
    if album is None or not album_is_complete(album) or not get_config()["REPLAYGAIN"]:
        return False
    rows = list(
        LibraryFile.objects.filter(track__album=album, state=LibraryFile.State.PRESENT).order_by(
            "track__disc_number", "track__track_number"
        )
    )
    paths = [file_on_disk(row) for row in rows]
    lufs, peak = album_loudness(paths)
    if lufs is None:
        return False
    album_gain = ReplayGain.from_loudness(lufs, peak).track_gain_db
    for row, path in zip(rows, paths, strict=True):
        _write_album_gain(row, path, album_gain=album_gain, album_peak=peak)
    logger.info(
        "hdm.replaygain.album_written",
        extra={"album_id": album.pk, "files": len(rows), "album_gain_db": round(album_gain, 2)},
    )
    return True


def _write_album_gain(
    row: LibraryFile, path: Path, *, album_gain: float, album_peak: float
) -> None:
    evidence = dict(row.analysis)
    track_gain = evidence.get("track_gain_db")
    if track_gain is None:  # not analysed yet (e.g. indexed by a scan): measure it now
        evidence = verify_content(
            path, lossless=True, profile=QualityProfile(fake_lossless="flag"), replaygain=True
        ).fields()["analysis"]
        track_gain = evidence["track_gain_db"]
    gain = ReplayGain(
        track_gain_db=track_gain,
        track_peak=evidence["loudness"]["true_peak"],
        album_gain_db=album_gain,
        album_peak=album_peak,
    )
    _retag_in_place(path, gain)
    evidence["album_gain_db"] = album_gain
    evidence["album_peak"] = album_peak
    info = read_audio(path)
    LibraryFile.objects.filter(pk=row.pk).update(
        analysis=evidence,
        content_hash=file_hash(path),
        **catalog.file_fields(info, path, tags=info.tags),
    )


def _retag_in_place(path: Path, gain: ReplayGain) -> None:
    """Tag a copy beside `path`, fsync it, rename it over `path`: never a half-written file."""
    temp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}{path.suffix}")
    try:
        with open(path, "rb") as src, open(temp, "xb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        fmt, audio = open_audio(temp, check_extension=False)
        write_replaygain(audio, fmt, gain)
        audio.save()
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def file_on_disk(row: LibraryFile) -> Path:
    return naming.resolve_inside(Path(settings.MUSIC_DIR), PurePosixPath(row.path))
