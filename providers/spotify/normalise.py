"""Spotify JSON objects → Harmony's provider-neutral types.

Every reader checks what it uses: a missing field or a wrong type becomes a
`ProviderResponseError` naming the endpoint and the field, never a `KeyError` in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from providers.errors import ProviderResponseError
from providers.types import Artwork, TrackMeta


@dataclass(frozen=True)
class AlbumInfo:
    id: str
    name: str
    artists: tuple[str, ...]
    album_type: str
    release_date: str
    release_date_precision: str
    total_tracks: int | None
    artwork: tuple[Artwork, ...] = ()
    artist_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArtistInfo:
    id: str
    name: str
    genres: tuple[str, ...] = ()
    artwork: tuple[Artwork, ...] = ()


@dataclass(frozen=True)
class PlaylistInfo:
    id: str
    name: str
    owner_id: str
    snapshot_id: str
    total: int | None
    collaborative: bool = False
    public: bool | None = None
    owner_name: str = ""
    artwork: tuple[Artwork, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A playlist entry Harmony cannot want, and why ("null_item", "episode", "malformed")."""

    position: int
    reason: str
    detail: str = ""


@dataclass
class PlaylistRead:
    """A playlist's wanted tracks plus what was skipped; `changed` if it moved while read."""

    playlist: PlaylistInfo
    tracks: list[TrackMeta] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    changed: bool = False


class Reader:
    """Typed access to one endpoint's JSON, with errors that name the endpoint."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def fail(self, what: str) -> ProviderResponseError:
        return ProviderResponseError(what, provider="spotify", endpoint=self.endpoint)

    def obj(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} is not an object")
        return value

    def text(self, data: dict[str, Any], key: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise self.fail(f"{key!r} missing or not text")
        return value

    def integer(self, data: dict[str, Any], key: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{key!r} is not a whole number")
        return value

    def items(self, data: dict[str, Any], key: str = "items") -> list[Any]:
        value = data.get(key)
        if not isinstance(value, list):
            raise self.fail(f"{key!r} missing or not a list")
        return value


def artwork_from(reader: Reader, images: Any) -> tuple[Artwork, ...]:
    if images is None:
        return ()
    if not isinstance(images, list):
        raise reader.fail("'images' is not a list")
    found = []
    for image in images:
        image = reader.obj(image, "image")
        found.append(
            Artwork(
                url=reader.text(image, "url"),
                width=reader.integer(image, "width"),
                height=reader.integer(image, "height"),
            )
        )
    return tuple(found)


def artist_names(reader: Reader, data: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, ids) of a track's or album's `artists`."""
    names, ids = [], []
    for artist in reader.items(data, "artists"):
        artist = reader.obj(artist, "artist")
        names.append(reader.text(artist, "name"))
        ids.append(reader.text(artist, "id", required=False))
    return tuple(names), tuple(i for i in ids if i)


def album_from(reader: Reader, data: Any) -> AlbumInfo:
    data = reader.obj(data, "album")
    names, ids = artist_names(reader, data)
    return AlbumInfo(
        id=reader.text(data, "id", required=False),
        name=reader.text(data, "name"),
        artists=names,
        artist_ids=ids,
        album_type=reader.text(data, "album_type", required=False),
        release_date=reader.text(data, "release_date", required=False),
        release_date_precision=reader.text(data, "release_date_precision", required=False),
        total_tracks=reader.integer(data, "total_tracks"),
        artwork=artwork_from(reader, data.get("images")),
    )


def artist_from(reader: Reader, data: Any) -> ArtistInfo:
    data = reader.obj(data, "artist")
    genres = data.get("genres") or []
    if not isinstance(genres, list) or not all(isinstance(g, str) for g in genres):
        raise reader.fail("'genres' is not a list of text")
    return ArtistInfo(
        id=reader.text(data, "id"),
        name=reader.text(data, "name"),
        genres=tuple(genres),
        artwork=artwork_from(reader, data.get("images")),
    )


def playlist_from(reader: Reader, data: Any) -> PlaylistInfo:
    data = reader.obj(data, "playlist")
    owner = reader.obj(data.get("owner"), "owner")
    # Feb 2026 renamed the contents `tracks` → `items`; accept either.
    contents = data.get("items") if isinstance(data.get("items"), dict) else data.get("tracks")
    total = reader.integer(contents, "total") if isinstance(contents, dict) else None
    public = data.get("public")
    return PlaylistInfo(
        id=reader.text(data, "id"),
        name=reader.text(data, "name"),
        owner_id=reader.text(owner, "id"),
        snapshot_id=reader.text(data, "snapshot_id", required=False),
        total=total,
        collaborative=bool(data.get("collaborative")),
        public=public if isinstance(public, bool) else None,
        owner_name=reader.text(owner, "display_name", required=False),
        artwork=artwork_from(reader, data.get("images")),
    )


def track_from(
    reader: Reader,
    data: Any,
    *,
    album: AlbumInfo | None = None,
    isrc: str = "",
    track_total: int | None = None,
    disc_total: int | None = None,
) -> TrackMeta:
    """A full or simplified track; simplified album tracks pass their `album` separately."""
    data = reader.obj(data, "track")
    if album is None:
        album = album_from(reader, data.get("album"))
    names, artist_ids = artist_names(reader, data)
    if not names:
        raise reader.fail("track without artists")
    external = data.get("external_ids") if isinstance(data.get("external_ids"), dict) else {}
    isrc = isrc or str(external.get("isrc") or "")
    return TrackMeta(
        title=reader.text(data, "name"),
        artists=names,
        album=album.name,
        album_artist=album.artists[0] if album.artists else names[0],
        release_date=album.release_date,
        release_date_precision=album.release_date_precision,
        track_number=reader.integer(data, "track_number"),
        track_total=track_total,
        disc_number=reader.integer(data, "disc_number"),
        disc_total=disc_total,
        duration_ms=reader.integer(data, "duration_ms"),
        isrc=isrc.upper().replace("-", ""),
        explicit=bool(data.get("explicit")),
        spotify_track_id=reader.text(data, "id", required=False),
        spotify_album_id=album.id,
        spotify_artist_ids=artist_ids,
        artwork=album.artwork,
    )
