"""ID3v2 (MP3, and WAV files, whose tags are an ID3 chunk)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mutagen import id3

from library.tagging.fields import (
    Fields,
    Picture,
    TaggedFile,
    format_lrc,
    join_pair,
    parse_lrc,
    split_pair,
)

TEXT_FRAMES: dict[str, str] = {
    "title": "TIT2",
    "artists": "TPE1",
    "album": "TALB",
    "albumartist": "TPE2",
    "date": "TDRC",
    "genres": "TCON",
    "isrc": "TSRC",
}
# Free-text frames, named as MusicBrainz Picard names its own.
TXXX_DESCS: dict[str, str] = {
    "spotify_track_id": "Spotify Track Id",
    "spotify_album_id": "Spotify Album Id",
    "musicbrainz_album_id": "MusicBrainz Album Id",
    "musicbrainz_artist_id": "MusicBrainz Artist Id",
}
MB_UFID_OWNER = "http://musicbrainz.org"  # the recording id lives in a UFID frame
V23_SEPARATOR = "/"  # ID3v2.3 has no multi-value text frames; its spec joins with "/"
_LANG = "xxx"  # ISO-639-2 "unknown": we rarely know the lyrics' language


def read_fields(audio: TaggedFile) -> Fields:
    tags: Any = audio.tags or {}
    fields: Fields = {}
    for name, frame_id in TEXT_FRAMES.items():
        frame = tags.get(frame_id)
        if frame is not None and (values := [str(t) for t in frame.text if str(t).strip()]):
            fields[name] = values
    for name, desc in TXXX_DESCS.items():
        frame = tags.get(f"TXXX:{desc}")
        if frame is not None and frame.text:
            fields[name] = [str(frame.text[0])]
    artists = tags.get("TXXX:ARTISTS")  # Picard's multi-valued list; TPE1 may be joined
    if artists is not None and (values := [str(t) for t in artists.text if str(t).strip()]):
        fields["artists"] = values
    ufid = tags.get(f"UFID:{MB_UFID_OWNER}")
    if ufid is not None and ufid.data:
        fields["musicbrainz_recording_id"] = [ufid.data.decode("ascii", "replace")]
    for frame_id, number, total in (
        ("TRCK", "tracknumber", "tracktotal"),
        ("TPOS", "discnumber", "disctotal"),
    ):
        frame = tags.get(frame_id)
        if frame is not None and frame.text:
            first, rest = split_pair(str(frame.text[0]))
            fields.update({k: [v] for k, v in ((number, first), (total, rest)) if v})
    return fields


def write_fields(audio: TaggedFile, fields: Fields) -> None:
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    for name, frame_id in TEXT_FRAMES.items():
        if name in fields:
            tags.setall(frame_id, [id3.Frames[frame_id](encoding=3, text=fields[name])])
    for name, desc in TXXX_DESCS.items():
        if name in fields:
            tags.setall(f"TXXX:{desc}", [id3.TXXX(encoding=3, desc=desc, text=fields[name][:1])])
    if "artists" in fields and "TXXX:ARTISTS" in tags:  # a stale list would win when read
        tags.setall("TXXX:ARTISTS", [id3.TXXX(encoding=3, desc="ARTISTS", text=fields["artists"])])
    if "musicbrainz_recording_id" in fields:
        data = fields["musicbrainz_recording_id"][0].encode("ascii", "replace")
        tags.setall(f"UFID:{MB_UFID_OWNER}", [id3.UFID(owner=MB_UFID_OWNER, data=data)])
    for frame_id, number, total in (
        ("TRCK", "tracknumber", "tracktotal"),
        ("TPOS", "discnumber", "disctotal"),
    ):
        if number in fields:
            tags.setall(
                frame_id,
                [
                    id3.Frames[frame_id](
                        encoding=3, text=[join_pair(fields[number], fields.get(total))]
                    )
                ],
            )


def write_lyrics(audio: TaggedFile, plain: str, synced: str) -> None:
    if plain:
        audio.tags.delall("USLT")
        audio.tags.add(id3.USLT(encoding=3, lang=_LANG, desc="", text=plain))
    if synced:
        audio.tags.delall("SYLT")
        # format 2 = absolute milliseconds, type 1 = lyrics
        audio.tags.add(
            id3.SYLT(encoding=3, lang=_LANG, format=2, type=1, desc="", text=parse_lrc(synced))
        )


def read_lyrics(audio: TaggedFile) -> tuple[str, str]:
    tags: Any = audio.tags or {}
    uslt = next(iter(tags.getall("USLT")), None) if tags else None
    sylt = next(iter(tags.getall("SYLT")), None) if tags else None
    return (uslt.text if uslt else "", format_lrc(list(sylt.text)) if sylt else "")


def write_picture(audio: TaggedFile, picture: Picture) -> None:
    kept = [f for f in audio.tags.getall("APIC") if f.type != id3.PictureType.COVER_FRONT]
    audio.tags.delall("APIC")
    for frame in kept:
        audio.tags.add(frame)
    cover = id3.APIC(
        encoding=3,
        mime=picture.mime,
        type=id3.PictureType.COVER_FRONT,
        desc="Cover",
        data=picture.data,
    )
    audio.tags.add(cover)


def has_picture(audio: TaggedFile) -> bool:
    return bool(audio.tags) and any(
        f.type == id3.PictureType.COVER_FRONT for f in audio.tags.getall("APIC")
    )


def clear(audio: TaggedFile) -> None:
    if audio.tags is not None:
        audio.tags.clear()


def save(audio: TaggedFile, *, version: int) -> None:
    """Save as ID3v2.4, or v2.3 with multi-valued frames joined by '/' (mutagen converts dates)."""
    if version == 3:
        audio.tags.update_to_v23()
        audio.save(v2_version=3, v23_sep=V23_SEPARATOR)
    else:
        audio.tags.update_to_v24()
        audio.save(v2_version=4)


# Binary frames, by mutagen class (whose attributes mutagen does not declare to type checkers).
_SNAPSHOTS: dict[str, Callable[[Any], list[str]]] = {
    "APIC": lambda f: [f"<{f.mime} type {int(f.type)} {len(f.data)} bytes>"],
    "UFID": lambda f: [f.data.decode("ascii", "replace")],
    "SYLT": lambda f: [f"<{len(f.text)} synced lines>"],
}


def snapshot(audio: TaggedFile) -> dict[str, list[str]]:
    snap: dict[str, list[str]] = {}
    for frame in (audio.tags or {}).values():
        special = _SNAPSHOTS.get(type(frame).__name__)
        if special is not None:
            text = special(frame)
        elif hasattr(frame, "text"):
            text = (
                [str(t) for t in frame.text] if isinstance(frame.text, list) else [str(frame.text)]
            )
        else:
            text = [f"<{type(frame).__name__}>"]
        snap.setdefault(frame.HashKey, []).extend(text)
    return snap
