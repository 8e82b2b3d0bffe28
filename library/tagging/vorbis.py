"""Vorbis comments: FLAC, Ogg Vorbis and Opus."""

from __future__ import annotations

import base64

from mutagen.flac import FLAC
from mutagen.flac import Picture as FlacPicture

from library.tagging.fields import Fields, Picture, TaggedFile, split_pair

KEYS: dict[str, str] = {
    "title": "TITLE",
    "artists": "ARTIST",
    "album": "ALBUM",
    "albumartist": "ALBUMARTIST",
    "tracknumber": "TRACKNUMBER",
    "tracktotal": "TRACKTOTAL",
    "discnumber": "DISCNUMBER",
    "disctotal": "DISCTOTAL",
    "date": "DATE",
    "genres": "GENRE",
    "isrc": "ISRC",
    "spotify_track_id": "SPOTIFY_TRACKID",
    "spotify_album_id": "SPOTIFY_ALBUMID",
    "musicbrainz_recording_id": "MUSICBRAINZ_TRACKID",
    "musicbrainz_album_id": "MUSICBRAINZ_ALBUMID",
    "musicbrainz_artist_id": "MUSICBRAINZ_ARTISTID",
}
LYRICS_KEY = "LYRICS"
SYNCED_LYRICS_KEY = "SYNCEDLYRICS"
PICTURE_KEY = "METADATA_BLOCK_PICTURE"  # Ogg files carry pictures as a base64 comment
PICARD_ARTISTS = "ARTISTS"  # Picard's multi-valued artist list, read when present
_ALIASES = {"tracktotal": "TOTALTRACKS", "disctotal": "TOTALDISCS"}


def _comments(audio: TaggedFile) -> dict[str, list[str]]:
    """KEY -> values in one pass: mutagen's own lookup scans every comment for each key."""
    comments: dict[str, list[str]] = {}
    for key, value in audio.tags or ():
        comments.setdefault(key.upper(), []).append(value)
    return comments


def read_fields(audio: TaggedFile) -> Fields:
    tags = _comments(audio)
    fields: Fields = {}
    for name, key in KEYS.items():
        values = [v for v in tags.get(key, []) if v.strip()]
        if not values and name in _ALIASES:
            values = [v for v in tags.get(_ALIASES[name], []) if v.strip()]
        if values:
            fields[name] = values
    if artists := [v for v in tags.get(PICARD_ARTISTS, []) if v.strip()]:
        fields["artists"] = artists  # the credited names one by one, where ARTIST is joined
    for number, total in (("tracknumber", "tracktotal"), ("discnumber", "disctotal")):
        if number in fields and "/" in fields[number][0]:  # "3/12" written by some taggers
            first, rest = split_pair(fields[number][0])
            fields[number] = [first]
            if rest and total not in fields:
                fields[total] = [rest]
    return fields


def write_fields(audio: TaggedFile, fields: Fields) -> None:
    if audio.tags is None:
        audio.add_tags()
    for name, values in fields.items():
        audio.tags[KEYS[name]] = values
        if name in _ALIASES and _ALIASES[name] in audio.tags:
            del audio.tags[_ALIASES[name]]  # one spelling only, so readers never disagree
    if "artists" in fields and PICARD_ARTISTS in audio.tags:
        audio.tags[PICARD_ARTISTS] = fields["artists"]  # a stale list would win when read


def write_lyrics(audio: TaggedFile, plain: str, synced: str) -> None:
    if plain:
        audio.tags[LYRICS_KEY] = [plain]
    if synced:
        audio.tags[SYNCED_LYRICS_KEY] = [synced]


def read_lyrics(audio: TaggedFile) -> tuple[str, str]:
    tags = _comments(audio)
    return (
        next(iter(tags.get(LYRICS_KEY, [])), ""),
        next(iter(tags.get(SYNCED_LYRICS_KEY, [])), ""),
    )


def write_picture(audio: TaggedFile, picture: Picture) -> None:
    block = FlacPicture()
    block.type = 3  # front cover
    block.mime = picture.mime
    block.width, block.height = picture.width, picture.height
    block.depth = 24
    block.data = picture.data
    if isinstance(audio, FLAC):
        # Drop the old front cover(s), keep other picture types (back cover, artist...).
        audio.metadata_blocks = [
            b for b in audio.metadata_blocks if not (isinstance(b, FlacPicture) and b.type == 3)
        ]
        audio.add_picture(block)
        return
    kept = [v for v in audio.tags.get(PICTURE_KEY, []) if _picture_type(v) != 3]
    audio.tags[PICTURE_KEY] = [*kept, base64.b64encode(block.write()).decode("ascii")]


def has_picture(audio: TaggedFile) -> bool:
    if isinstance(audio, FLAC):
        return any(p.type == 3 for p in audio.pictures)
    return any(_picture_type(v) == 3 for v in _comments(audio).get(PICTURE_KEY, []))


def _picture_type(encoded: str) -> int | None:
    try:
        return FlacPicture(base64.b64decode(encoded)).type
    except Exception:  # a broken picture comment is someone else's; keep it, never crash
        return None


def clear(audio: TaggedFile) -> None:
    if audio.tags is not None:
        audio.tags.clear()
    if isinstance(audio, FLAC):
        audio.clear_pictures()


def snapshot(audio: TaggedFile) -> dict[str, list[str]]:
    snap = _comments(audio)
    if PICTURE_KEY in snap:
        snap[PICTURE_KEY] = [f"<picture {len(v)} base64 chars>" for v in snap[PICTURE_KEY]]
    if isinstance(audio, FLAC):
        snap["PICTURE"] = [f"<{p.mime} type {p.type} {len(p.data)} bytes>" for p in audio.pictures]
    return snap
