"""Artist, Album and Track rows from `TrackMeta`: one at a time (ingest) or per batch (scan).

Both paths use the same keys (`normalise_text` of names) so a scanned file and a downloaded
copy of the same recording land on the same rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from library.dedupe import CANDIDATE_LIMIT
from library.models import Album, Artist, Track
from library.normalise import normalise_text
from library.tagging import AudioInfo
from providers.types import TrackMeta

ARTIST_SEPARATOR = "; "
_TRACK_LIMIT = 20  # rows of one recording on one album worth ranking


def album_artist_name(meta: TrackMeta) -> str:
    return meta.album_artist or meta.artist


def track_fields(meta: TrackMeta) -> dict[str, Any]:
    """Column values of a Track for `meta` (keys included, relations excluded)."""
    return {
        "title": meta.title[:512],
        "artists": ARTIST_SEPARATOR.join(meta.artists)[:1024],
        "track_number": meta.track_number,
        "disc_number": meta.disc_number,
        "duration_ms": meta.duration_ms,
        "isrc": meta.isrc.upper()[:12],
        "spotify_id": meta.spotify_track_id,
        "musicbrainz_id": meta.musicbrainz_recording_id,
        "explicit": meta.explicit,
        "genres": list(meta.genres),
        "artist_key": normalise_text(meta.artist)[:512],
        "title_key": normalise_text(meta.title)[:512],
        "album_key": normalise_text(meta.album)[:512],
    }


def album_fields(meta: TrackMeta) -> dict[str, Any]:
    return {
        "title": meta.album[:512],
        "title_key": normalise_text(meta.album)[:512],
        "release_date": meta.release_date[:10],
        "release_date_precision": meta.release_date_precision,
        "spotify_id": meta.spotify_album_id,
        "musicbrainz_id": meta.musicbrainz_album_id,
        "track_total": meta.track_total,
        "disc_total": meta.disc_total,
        "artwork_url": art.url if (art := meta.largest_artwork()) else "",
    }


def file_fields(
    info: AudioInfo, path: str | Path, *, tags: dict[str, Any], stat: os.stat_result | None = None
) -> dict[str, Any]:
    """LibraryFile columns describing the audio at `path` (stat taken now unless given)."""
    stat = stat or os.stat(path)
    return {
        "format": info.format,
        "codec": info.codec or "",
        "bitrate_kbps": info.bitrate_kbps,
        "sample_rate": info.sample_rate,
        "bit_depth": info.bit_depth,
        "channels": info.channels,
        "duration_s": info.duration_s,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "tags": tags,
    }


def upsert_artist(name: str, *, spotify_id: str = "", musicbrainz_id: str = "") -> Artist | None:
    """The artist row for `name` (by Spotify id, then normalised name), created when new."""
    if not name:
        return None
    artist = Artist.objects.filter(spotify_id=spotify_id).first() if spotify_id else None
    artist = artist or Artist.objects.filter(name_key=normalise_text(name)).first()
    if artist is None:
        return Artist.objects.create(
            name=name[:512], spotify_id=spotify_id, musicbrainz_id=musicbrainz_id
        )
    _fill_blanks(artist, spotify_id=spotify_id, musicbrainz_id=musicbrainz_id)
    return artist


def upsert_album(meta: TrackMeta, *, artist: Artist | None) -> Album | None:
    if not meta.album:
        return None
    fields = album_fields(meta)
    album = (
        Album.objects.filter(spotify_id=meta.spotify_album_id).first()
        if meta.spotify_album_id
        else None
    )
    album = (
        album or Album.objects.filter(album_artist=artist, title_key=fields["title_key"]).first()
    )
    if album is None:
        return Album.objects.create(album_artist=artist, **fields)
    _fill_blanks(album, **{k: v for k, v in fields.items() if k != "title_key"})
    return album


def upsert_track(meta: TrackMeta, *, candidates: Sequence[Track] | None = None) -> Track:
    """The Track for `meta` with its primary artist and album, filling ids it did not know.

    `candidates` are the tracks dedupe fetched for `meta` in the same transaction
    (`DedupeDecision.candidates`); when they are sure to hold every possible match, the
    track is picked from them instead of being looked up again.
    """
    main_spotify = meta.spotify_artist_ids[0] if meta.spotify_artist_ids else ""
    artist = upsert_artist(
        meta.artist, spotify_id=main_spotify, musicbrainz_id=meta.musicbrainz_artist_id
    )
    album_artist = artist
    if album_artist_name(meta) != meta.artist:
        album_artist = upsert_artist(album_artist_name(meta))
    album = upsert_album(meta, artist=album_artist)
    fields = track_fields(meta)
    if candidates is not None and _covers(candidates, meta, fields):
        track = _pick_track(meta, fields, album, candidates)
    else:
        track = _find_track(meta, fields, album)
    if track is None:
        return Track.objects.create(artist=artist, album=album, **fields)
    _fill_blanks(track, artist=artist, album=album, **fields)
    return track


def _find_track(meta: TrackMeta, fields: dict[str, Any], album: Album | None) -> Track | None:
    """The row for this recording on this album: by Spotify id, else ISRC, else name keys."""
    same_album = Q(album=album) if album else Q(album__isnull=True)
    conditions = Q(
        same_album,
        artist_key=fields["artist_key"],
        title_key=fields["title_key"],
        spotify_id__in=["", meta.spotify_track_id],
    )
    if meta.spotify_track_id:
        conditions |= Q(spotify_id=meta.spotify_track_id)
    if fields["isrc"]:
        conditions |= Q(same_album, isrc=fields["isrc"])
    candidates = list(Track.objects.filter(conditions).order_by("pk")[:_TRACK_LIMIT])
    return _best_track(meta, fields, candidates)


def _covers(candidates: Sequence[Track], meta: TrackMeta, fields: dict[str, Any]) -> bool:
    """Whether dedupe's lookup (Spotify id | ISRC | name keys, any album) fetched a superset
    of what `_find_track` would: same keys, no empty name key, and not cut off by its limit."""
    return (
        len(candidates) < CANDIDATE_LIMIT
        and bool(fields["artist_key"] and fields["title_key"])
        and fields["isrc"] == meta.isrc.upper()
    )


def _pick_track(
    meta: TrackMeta, fields: dict[str, Any], album: Album | None, candidates: Sequence[Track]
) -> Track | None:
    """`_find_track`'s conditions applied to already fetched rows (ordered by id)."""
    album_id = album.pk if album else None
    sid = meta.spotify_track_id

    def matches(track: Track) -> bool:
        same_album = track.album_id == album_id
        by_name = (track.artist_key, track.title_key) == (fields["artist_key"], fields["title_key"])
        return (
            (same_album and by_name and track.spotify_id in ("", sid))
            or bool(sid and track.spotify_id == sid)
            or bool(fields["isrc"] and same_album and track.isrc == fields["isrc"])
        )

    found = sorted((t for t in candidates if matches(t)), key=lambda t: t.pk)[:_TRACK_LIMIT]
    return _best_track(meta, fields, found)


def _best_track(meta: TrackMeta, fields: dict[str, Any], found: list[Track]) -> Track | None:
    def rank(track: Track) -> int:
        if meta.spotify_track_id and track.spotify_id == meta.spotify_track_id:
            return 0
        return 1 if fields["isrc"] and track.isrc == fields["isrc"] else 2

    return min(found, key=rank, default=None)


def _fill_blanks(row: Artist | Album | Track, **values: Any) -> None:
    """Set fields the row does not know yet; known values are never overwritten silently."""
    changed = [
        name
        for name, value in values.items()
        if value not in (None, "", [], ()) and getattr(row, name) in (None, "", [])
    ]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])


# --- Batch resolution (library scan) --------------------------------------------------------
# A fixed number of queries per batch, whatever its size: look up what exists by key, insert
# the rest with one executemany, then read the new ids back by key.


def resolve_track_ids(metas: list[TrackMeta]) -> list[int]:
    """One Track id per meta (existing or newly created), with artists and albums, in order."""
    artists = _resolve_artists({name for m in metas for name in (m.artist, album_artist_name(m))})
    albums = _resolve_albums(metas, artists)
    keyed = [(_track_key(m, albums), m) for m in metas]
    wanted_ids = {m.spotify_track_id for m in metas if m.spotify_track_id}
    by_spotify = dict(
        Track.objects.filter(spotify_id__in=wanted_ids).values_list("spotify_id", "pk")
    )
    by_key = _track_ids_by_key({key for key, _ in keyed})
    new: dict[tuple, dict[str, Any]] = {}
    claimed: set[str] = set()
    now = timezone.now()
    for key, meta in keyed:
        if meta.spotify_track_id in by_spotify or key in by_key or key in new:
            continue
        fields = track_fields(meta)
        if fields["spotify_id"] in claimed:
            fields["spotify_id"] = ""  # two files claim one Spotify id: keep it on the first
        claimed.add(fields["spotify_id"])
        new[key] = {
            **fields,
            "artist_id": artists.get(fields["artist_key"]),
            "album_id": key[2],
            "created_at": now,
            "updated_at": now,
        }
    if new:
        inserted = insert_rows(
            Track, list(new.values()), returning=("artist_key", "title_key", "album_id", "id")
        )
        if inserted is None:
            by_key.update(_track_ids_by_key(set(new)))
        else:
            by_key.update({(a, t, album): pk for a, t, album, pk in inserted})
    return [by_spotify.get(meta.spotify_track_id) or by_key[key] for key, meta in keyed]


def _track_ids_by_key(keys: set[tuple]) -> dict[tuple, int]:
    rows = Track.objects.filter(
        artist_key__in={k[0] for k in keys}, title_key__in={k[1] for k in keys}
    ).values_list("artist_key", "title_key", "album_id", "pk")
    found: dict[tuple, int] = {}
    for artist_key, title_key, album_id, pk in rows.order_by("pk"):
        found.setdefault((artist_key, title_key, album_id), pk)
    return found


def insert_rows(
    model: type[models.Model], rows: list[dict[str, Any]], *, returning: Sequence[str] = ()
) -> list[tuple[Any, ...]] | None:
    """INSERT rows (dicts of attribute name -> value, all with the same keys) in one executemany.

    The library scan's hot path: several times cheaper per row than `bulk_create` because no
    model instances are built; JSON and date-time values still go through their fields'
    `get_db_prep_save`, so it stays portable between SQLite and PostgreSQL.

    With `returning` (attribute names, e.g. the keys and "id"), the new rows' values of those
    columns come back, in no particular order, from multi-row `INSERT ... RETURNING` statements
    (SQLite >= 3.35 and PostgreSQL), so the caller need not read its new ids back by key. None
    means the database cannot return rows: read them back.
    """
    if not rows:
        return []
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_attname[name] for name in rows[0]]
    params = _row_params(fields, rows)
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(
        quote(model._meta.db_table), ", ".join(quote(_column(f)) for f in fields)
    )
    one = "({})".format(", ".join(["%s"] * len(fields)))
    with connection.cursor() as cursor:
        if not returning or not connection.features.can_return_rows_from_bulk_insert:
            cursor.executemany(head + one, params)
            return None if returning else []
        tail = " RETURNING " + ", ".join(quote(_column(by_attname[name])) for name in returning)
        # The backend's limit, and never more parameters than PostgreSQL's protocol allows.
        size = max(1, min(connection.ops.bulk_batch_size(fields, rows), 32766 // len(fields)))
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(params), size):
            chunk = params[start : start + size]
            flat = [value for row in chunk for value in row]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, flat)
            found.extend(tuple(row) for row in cursor.fetchall())
        return found


def _row_params(fields: list[models.Field], rows: list[dict[str, Any]]) -> list[list[Any]]:
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    time_at = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
    times: dict[Any, Any] = {}  # a batch shares one timestamp: adapt it once
    empties: dict[tuple[int, type], Any] = {}  # and most rows share an empty {} or []
    params = []
    for row in rows:
        values = list(row.values())
        for i in json_at:
            value = values[i]
            if value:
                values[i] = fields[i].get_db_prep_save(value, connection)
                continue
            if (i, type(value)) not in empties:
                empties[i, type(value)] = fields[i].get_db_prep_save(value, connection)
            values[i] = empties[i, type(value)]
        for i in time_at:
            if values[i] not in times:
                times[values[i]] = fields[i].get_db_prep_save(values[i], connection)
            values[i] = times[values[i]]
        params.append(values)
    return params


def _track_key(meta: TrackMeta, albums: dict[tuple, int]) -> tuple[str, str, int | None]:
    return (
        normalise_text(meta.artist)[:512],
        normalise_text(meta.title)[:512],
        albums.get(_album_key(meta)),
    )


def _album_key(meta: TrackMeta) -> tuple[str, str]:
    return normalise_text(album_artist_name(meta))[:512], normalise_text(meta.album)[:512]


def _resolve_artists(names: set[str]) -> dict[str, int]:
    """name_key -> Artist id for every non-empty name, creating the missing ones."""
    wanted = {normalise_text(name)[:512]: name for name in names if name}
    found = _artist_ids(set(wanted))
    missing = [(key, name) for key, name in wanted.items() if key not in found]
    if missing:
        now = timezone.now()
        rows = [
            new_row(Artist, name=name[:512], name_key=key, created_at=now, updated_at=now)
            for key, name in missing
        ]
        inserted = insert_rows(Artist, rows, returning=("name_key", "id"))
        if inserted is None:
            inserted = list(_artist_ids({key for key, _ in missing}).items())
        found.update(inserted)
    return found


def _artist_ids(keys: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    rows = Artist.objects.filter(name_key__in=keys).values_list("name_key", "pk").order_by("pk")
    for key, pk in rows:
        found.setdefault(key, pk)
    return found


def _resolve_albums(metas: list[TrackMeta], artists: dict[str, int]) -> dict[tuple, int]:
    """(album artist key, title key) -> Album id for every meta naming an album."""
    wanted = {_album_key(m): m for m in metas if m.album}
    found = _album_ids(set(wanted), artists)
    missing = [(key, meta) for key, meta in wanted.items() if key not in found]
    if missing:
        now = timezone.now()
        # Spotify ids from a file's own tags are not trusted enough to claim the unique id.
        rows = [
            new_row(
                Album,
                **{**album_fields(meta), "spotify_id": ""},
                album_artist_id=artists.get(key[0]),
                created_at=now,
                updated_at=now,
            )
            for key, meta in missing
        ]
        inserted = insert_rows(Album, rows, returning=("album_artist_id", "title_key", "id"))
        if inserted is None:
            found.update(_album_ids({key for key, _ in missing}, artists))
        else:
            key_by_artist = {pk: key for key, pk in artists.items()}
            found.update(
                {(key_by_artist.get(artist, ""), title): pk for artist, title, pk in inserted}
            )
    return found


def _album_ids(keys: set[tuple], artists: dict[str, int]) -> dict[tuple, int]:
    key_by_artist = {pk: key for key, pk in artists.items()}
    by_artist = Q(album_artist_id__in={artists[k[0]] for k in keys if k[0] in artists})
    if any(k[0] not in artists for k in keys):  # albums of files that name no artist
        by_artist |= Q(album_artist__isnull=True)
    rows = Album.objects.filter(by_artist, title_key__in={k[1] for k in keys}).values_list(
        "album_artist_id", "title_key", "pk"
    )
    found: dict[tuple, int] = {}
    for artist_id, title_key, pk in rows.order_by("pk"):
        found.setdefault((key_by_artist.get(artist_id, ""), title_key), pk)
    return found


def new_row(model: type[models.Model], **values: Any) -> dict[str, Any]:
    """A row for `insert_rows`: every column's model default, overridden by `values`."""
    row = {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if not field.primary_key
    }
    row.update(values)
    return row


def _column(field: models.Field) -> str:
    """A concrete field's column (Django types `column` optional for fields without one)."""
    assert field.column is not None
    return field.column
