"""MP4 atoms (M4A with AAC or ALAC)."""

from __future__ import annotations

from typing import Any

from mutagen.mp4 import MP4Cover, MP4FreeForm

from library.tagging.fields import Fields, Picture, TaggedFile

ATOMS: dict[str, str] = {
    "title": "\xa9nam",
    "artists": "\xa9ART",
    "album": "\xa9alb",
    "albumartist": "aART",
    "date": "\xa9day",
    "genres": "\xa9gen",
}
_ITUNES = "----:com.apple.iTunes:"
# Free-form atoms, named as MusicBrainz Picard names its own.
FREEFORM: dict[str, str] = {
    "isrc": _ITUNES + "ISRC",
    "spotify_track_id": _ITUNES + "Spotify Track Id",
    "spotify_album_id": _ITUNES + "Spotify Album Id",
    "musicbrainz_recording_id": _ITUNES + "MusicBrainz Track Id",
    "musicbrainz_album_id": _ITUNES + "MusicBrainz Album Id",
    "musicbrainz_artist_id": _ITUNES + "MusicBrainz Artist Id",
}
PICARD_ARTISTS = _ITUNES + "ARTISTS"  # Picard's multi-valued artist list
LYRICS_ATOM = "\xa9lyr"
SYNCED_LYRICS_ATOM = _ITUNES + "SYNCEDLYRICS"  # no standard exists; kept so nothing is lost
_PAIRS = (("trkn", "tracknumber", "tracktotal"), ("disk", "discnumber", "disctotal"))


def read_fields(audio: TaggedFile) -> Fields:
    tags: Any = audio.tags or {}
    fields: Fields = {}
    for name, atom in ATOMS.items():
        if values := [str(v) for v in tags.get(atom, []) if str(v).strip()]:
            fields[name] = values
    for name, atom in FREEFORM.items():
        if values := [bytes(v).decode("utf-8", "replace") for v in tags.get(atom, [])]:
            fields[name] = values
    picard = [bytes(v).decode("utf-8", "replace") for v in tags.get(PICARD_ARTISTS, [])]
    if picard := [name for name in picard if name.strip()]:
        fields["artists"] = picard  # Picard's multi-valued list; ©ART may be joined
    for atom, number, total in _PAIRS:
        pairs = tags.get(atom)
        if pairs:
            first, rest = (tuple(pairs[0]) + (0, 0))[:2]
            fields.update({k: [str(v)] for k, v in ((number, first), (total, rest)) if v})
    return fields


def write_fields(audio: TaggedFile, fields: Fields) -> None:
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    for name, atom in ATOMS.items():
        if name in fields:
            tags[atom] = fields[name]
    if "artists" in fields and PICARD_ARTISTS in tags:  # a stale list would win when read
        tags[PICARD_ARTISTS] = [MP4FreeForm(v.encode("utf-8")) for v in fields["artists"]]
    for name, atom in FREEFORM.items():
        if name in fields:
            tags[atom] = [MP4FreeForm(v.encode("utf-8")) for v in fields[name]]
    for atom, number, total in _PAIRS:
        if number in fields:
            tags[atom] = [(int(fields[number][0]), int(fields.get(total, ["0"])[0]))]


def write_lyrics(audio: TaggedFile, plain: str, synced: str) -> None:
    if plain:
        audio.tags[LYRICS_ATOM] = [plain]
    if synced:
        audio.tags[SYNCED_LYRICS_ATOM] = [MP4FreeForm(synced.encode("utf-8"))]


def read_lyrics(audio: TaggedFile) -> tuple[str, str]:
    tags: Any = audio.tags or {}
    synced = [bytes(v).decode("utf-8", "replace") for v in tags.get(SYNCED_LYRICS_ATOM, [])]
    return (next(iter(tags.get(LYRICS_ATOM, [])), ""), next(iter(synced), ""))


def write_picture(audio: TaggedFile, picture: Picture) -> None:
    # MP4 has no picture types: the first `covr` image is the front cover.
    kind = MP4Cover.FORMAT_PNG if picture.mime == "image/png" else MP4Cover.FORMAT_JPEG
    audio.tags["covr"] = [MP4Cover(picture.data, imageformat=kind)]


def has_picture(audio: TaggedFile) -> bool:
    return bool((audio.tags or {}).get("covr"))


def clear(audio: TaggedFile) -> None:
    if audio.tags is not None:
        audio.tags.clear()


def snapshot(audio: TaggedFile) -> dict[str, list[str]]:
    snap: dict[str, list[str]] = {}
    for key, values in (audio.tags or {}).items():
        items = values if isinstance(values, list) else [values]
        if key == "covr":
            snap[key] = [f"<image {len(bytes(v))} bytes>" for v in items]
        elif key.startswith("----"):
            snap[key] = [bytes(v).decode("utf-8", "replace") for v in items]
        else:
            snap[key] = [str(v) for v in items]
    return snap
