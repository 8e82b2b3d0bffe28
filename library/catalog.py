"""Artist, Album and Track rows from `TrackMeta`: one at a time (ingest) or per batch (scan).

Both paths use the same keys (`normalise_text` of names) so a scanned file and a downloaded
copy of the same recording land on the same rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from library.models import Album, Artist, Track
from library.normalise import normalise_text
from library.tagging import AudioInfo
from providers.types import TrackMeta

ARTIST_SEPARATOR = "; "


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
    info: AudioInfo, path: Path, *, tags: dict[str, Any], stat: os.stat_result | None = None
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


def upsert_track(meta: TrackMeta) -> Track:
    """The Track for `meta` with its primary artist and album, filling ids it did not know."""
    main_spotify = meta.spotify_artist_ids[0] if meta.spotify_artist_ids else ""
    artist = upsert_artist(
        meta.artist, spotify_id=main_spotify, musicbrainz_id=meta.musicbrainz_artist_id
    )
    album_artist = artist
    if album_artist_name(meta) != meta.artist:
        album_artist = upsert_artist(album_artist_name(meta))
    album = upsert_album(meta, artist=album_artist)
    fields = track_fields(meta)
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
    candidates = list(Track.objects.filter(conditions).order_by("pk")[:20])

    def rank(track: Track) -> int:
        if meta.spotify_track_id and track.spotify_id == meta.spotify_track_id:
            return 0
        return 1 if fields["isrc"] and track.isrc == fields["isrc"] else 2

    return min(candidates, key=rank, default=None)


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
# A fixed number of queries per batch, whatever its size: look up what exists by key, then
# bulk-create the rest (SQLite >= 3.35 and PostgreSQL return the new primary keys).


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
        artist = artists.get(fields["artist_key"])
        new[key] = {
            **fields,
            "artist_id": artist and artist.pk,
            "album_id": key[2],
            "created_at": now,
            "updated_at": now,
        }
    if new:
        insert_rows(Track, list(new.values()))
        by_key.update(_track_ids_by_key(set(new)))
    return [by_spotify.get(meta.spotify_track_id) or by_key[key] for key, meta in keyed]


def _track_ids_by_key(keys: set[tuple]) -> dict[tuple, int]:
    rows = Track.objects.filter(
        artist_key__in={k[0] for k in keys}, title_key__in={k[1] for k in keys}
    ).values_list("artist_key", "title_key", "album_id", "pk")
    found: dict[tuple, int] = {}
    for artist_key, title_key, album_id, pk in rows.order_by("pk"):
        found.setdefault((artist_key, title_key, album_id), pk)
    return found


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT rows (dicts of attribute name -> value, all with the same keys) in one executemany.

    The library scan's hot path: several times cheaper per row than `bulk_create` because no
    model instances are built; JSON and date-time values still go through their fields'
    `get_db_prep_save`, so it stays portable between SQLite and PostgreSQL.
    """
    if not rows:
        return
    meta = model._meta
    by_attname = {field.attname: field for field in meta.concrete_fields}
    fields = [by_attname[name] for name in rows[0]]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    time_at = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
    times: dict[Any, Any] = {}  # a batch shares one timestamp: adapt it once
    params = []
    for row in rows:
        values = list(row.values())
        for i in json_at:
            values[i] = fields[i].get_db_prep_save(values[i], connection)
        for i in time_at:
            if values[i] not in times:
                times[values[i]] = fields[i].get_db_prep_save(values[i], connection)
            values[i] = times[values[i]]
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _track_key(meta: TrackMeta, albums: dict[tuple, Album]) -> tuple[str, str, int | None]:
    album = albums.get(_album_key(meta))
    return normalise_text(meta.artist)[:512], normalise_text(meta.title)[:512], album and album.pk


def _album_key(meta: TrackMeta) -> tuple[str, str]:
    return normalise_text(album_artist_name(meta))[:512], normalise_text(meta.album)[:512]


def _resolve_artists(names: set[str]) -> dict[str, Artist]:
    """name_key -> Artist for every non-empty name, creating the missing ones."""
    wanted = {normalise_text(name)[:512]: name for name in names if name}
    found: dict[str, Artist] = {}
    for artist in Artist.objects.filter(name_key__in=wanted).order_by("pk"):
        found.setdefault(artist.name_key, artist)
    missing = [
        Artist(name=name[:512], name_key=key) for key, name in wanted.items() if key not in found
    ]
    Artist.objects.bulk_create(missing)
    found.update({artist.name_key: artist for artist in missing})
    return found


def _resolve_albums(metas: list[TrackMeta], artists: dict[str, Artist]) -> dict[tuple, Album]:
    """(album artist key, title key) -> Album for every meta naming an album."""
    wanted = {_album_key(m): m for m in metas if m.album}
    found: dict[tuple, Album] = {}
    artist_ids = {artists[k[0]].pk for k in wanted if k[0] in artists}
    rows = Album.objects.filter(
        title_key__in={k[1] for k in wanted}, album_artist_id__in=artist_ids
    )
    key_by_artist = {artist.pk: key for key, artist in artists.items()}
    for album in rows.order_by("pk"):
        found.setdefault((key_by_artist.get(album.album_artist_id, ""), album.title_key), album)
    missing: dict[tuple, Album] = {}
    for key, meta in wanted.items():
        if key not in found:
            # Spotify ids from a file's own tags are not trusted enough to claim the unique id.
            fields = {**album_fields(meta), "spotify_id": ""}
            missing[key] = Album(album_artist=artists.get(key[0]), **fields)
    Album.objects.bulk_create(missing.values())
    found.update(missing)
    return found
