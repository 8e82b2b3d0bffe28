"""Harmony's format-neutral tag fields, and their conversion to and from `TrackMeta`.

Each format module maps these names onto its own frames/atoms/comments. A field holds a list of
strings so multi-valued tags (artists, genres) survive where the format allows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from providers.types import TrackMeta

Fields = dict[str, list[str]]
# A mutagen file as the format modules use it: mutagen declares `FileType.tags` as None, while
# each format's tags object (ID3, MP4Tags, VComment) has its own dynamic API.
TaggedFile = Any

FIELD_NAMES: tuple[str, ...] = (
    "title",
    "artists",
    "album",
    "albumartist",
    "tracknumber",
    "tracktotal",
    "discnumber",
    "disctotal",
    "date",
    "genres",
    "isrc",
    "spotify_track_id",
    "spotify_album_id",
    "musicbrainz_recording_id",
    "musicbrainz_album_id",
    "musicbrainz_artist_id",
)
_MAX_NUMBER = 65535
_NUMBER = re.compile(r"\s*(\d+)")
_LRC_STAMP = re.compile(r"\[(\d+):(\d{1,2}(?:[.:]\d{1,3})?)\]")
_LRC_HEADER = re.compile(r"^\[[a-z]+:.*\]$", re.IGNORECASE)  # [ar:..] [ti:..] [offset:..]


@dataclass(frozen=True)
class Picture:
    """A front cover ready to embed."""

    data: bytes
    mime: str  # image/jpeg | image/png
    width: int
    height: int


def fields_from_meta(meta: TrackMeta) -> Fields:
    """The fields Harmony writes for `meta`; unknown (empty) values are left out, never blanked."""
    values: dict[str, object] = {
        "title": meta.title,
        "artists": list(meta.artists),
        "album": meta.album,
        "albumartist": meta.album_artist,
        "tracknumber": meta.track_number,
        "tracktotal": meta.track_total,
        "discnumber": meta.disc_number,
        "disctotal": meta.disc_total,
        "date": meta.release_date,
        "genres": list(meta.genres),
        "isrc": meta.isrc.upper(),
        "spotify_track_id": meta.spotify_track_id,
        "spotify_album_id": meta.spotify_album_id,
        "musicbrainz_recording_id": meta.musicbrainz_recording_id,
        "musicbrainz_album_id": meta.musicbrainz_album_id,
        "musicbrainz_artist_id": meta.musicbrainz_artist_id,
    }
    fields: Fields = {}
    for name, value in values.items():
        items = value if isinstance(value, list) else [value]
        if texts := [text for item in items if (text := _clean_value(item))]:
            fields[name] = texts
    return fields


def _clean_value(value: object) -> str:
    """Tag-safe text: no NUL (ID3's value separator), no lone surrogates, numbers in range."""
    if value is None:
        return ""
    if isinstance(value, int):
        # MP4 stores track and disc numbers as 16-bit; nothing real is outside 1..65535.
        return str(value) if 0 < value <= _MAX_NUMBER else ""
    text = str(value).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text.strip()


def meta_from_fields(fields: Fields, *, duration_s: float | None) -> TrackMeta:
    """A TrackMeta from what a file's tags say (a file without tags gives an empty title)."""
    firsts = {name: values[0].strip() for name, values in fields.items() if values}
    first = firsts.get  # called for every field of every scanned file: kept cheap
    date = first("date", "")
    return TrackMeta(
        title=first("title", ""),
        artists=tuple(a.strip() for a in fields.get("artists", []) if a.strip()),
        album=first("album", ""),
        album_artist=first("albumartist", ""),
        release_date=date,
        release_date_precision={4: "year", 7: "month", 10: "day"}.get(len(date[:10]), ""),
        track_number=parse_number(first("tracknumber", "")),
        track_total=parse_number(first("tracktotal", "")),
        disc_number=parse_number(first("discnumber", "")),
        disc_total=parse_number(first("disctotal", "")),
        duration_ms=None if duration_s is None else round(duration_s * 1000),
        isrc=first("isrc", "").upper(),
        genres=tuple(g.strip() for g in fields.get("genres", []) if g.strip()),
        spotify_track_id=first("spotify_track_id", ""),
        spotify_album_id=first("spotify_album_id", ""),
        musicbrainz_recording_id=first("musicbrainz_recording_id", ""),
        musicbrainz_album_id=first("musicbrainz_album_id", ""),
        musicbrainz_artist_id=first("musicbrainz_artist_id", ""),
    )


def parse_number(text: str) -> int | None:
    """'3', '03', '3/12' -> 3; anything else -> None."""
    match = _NUMBER.match(text or "")
    return int(match.group(1)) if match else None


def split_pair(text: str) -> tuple[str, str]:
    """'3/12' -> ('3', '12'); '3' -> ('3', '')."""
    number, _, total = (text or "").partition("/")
    return number.strip(), total.strip()


def join_pair(number: list[str] | None, total: list[str] | None) -> str:
    text = number[0] if number else ""
    return f"{text}/{total[0]}" if total and text else text


def parse_lrc(text: str) -> list[tuple[str, int]]:
    """LRC text -> [(line, milliseconds)], one entry per timestamp, in time order."""
    entries: list[tuple[str, int]] = []
    for raw in text.splitlines():
        stamps = _LRC_STAMP.findall(raw)
        line = _LRC_STAMP.sub("", raw).strip()
        for minutes, seconds in stamps:
            entries.append(
                (line, round((int(minutes) * 60 + float(seconds.replace(":", "."))) * 1000))
            )
    return sorted(entries, key=lambda entry: entry[1])


def format_lrc(entries: list[tuple[str, int]]) -> str:
    lines = []
    for text, ms in entries:
        minutes, rest = divmod(ms, 60_000)
        lines.append(f"[{minutes:02d}:{rest / 1000:05.2f}] {text}".rstrip())
    return "\n".join(lines)


def plain_from_lrc(text: str) -> str:
    """The words of an LRC text without timestamps or header tags (for plain-lyrics frames)."""
    lines = []
    for raw in text.splitlines():
        if _LRC_HEADER.match(raw.strip()):
            continue
        lines.append(_LRC_STAMP.sub("", raw).strip())
    return "\n".join(lines).strip()
