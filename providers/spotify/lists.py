"""Wanted tracks from lists a person pastes or uploads, without asking Spotify anything.

Two inputs:

- a text list, one ``Artist - Title`` per line (en/em dashes too; blank lines and ``#``
  comments ignored; ``1.``/``01)`` numbering stripped; ``feat.`` artists credited);
- an Exportify-style CSV export (``Track Name``, ``Artist Name(s)``, ``Album Name``,
  ``Duration (ms)``, ``ISRC``, ``Track URI`` …; header spelling variants and a BOM tolerated).

`read_text_list` / `read_csv` return every good track *and* every bad line with its number;
`parse_text_list` / `parse_csv` return the tracks and raise `InvalidTrackList` naming the bad
lines, so nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from providers.spotify.links import InvalidSpotifyLink, parse_spotify_link
from providers.types import TrackMeta

MAX_LIST_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_LINE_LENGTH = 1000

_SEPARATOR = re.compile(r"\s+[-–—]\s+")  # hyphen, en dash, em dash with spaces around
_NUMBERING = re.compile(r"^\s*\d{1,4}\s*[.)]\s+")
_FEAT = re.compile(r"\s*[(\[]?\s*\b(?:feat\.?|ft\.|featuring)\s+", re.IGNORECASE)
_TITLE_FEAT = re.compile(r"[(\[]\s*(?:feat\.?|ft\.|featuring)\s+([^)\]]+)[)\]]", re.IGNORECASE)


@dataclass(frozen=True)
class ListProblem:
    line: int  # 1-based line (text) or row (CSV, header = line 1)
    text: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason} ({self.text!r})"


@dataclass(frozen=True)
class ParsedList:
    tracks: list[TrackMeta] = field(default_factory=list)
    problems: list[ListProblem] = field(default_factory=list)


class InvalidTrackList(ValueError):
    """The list could not be read, or some of its lines are bad (all of them listed)."""

    def __init__(self, message: str, *, problems: Iterable[ListProblem] = (), tracks=()) -> None:
        self.problems = list(problems)
        self.tracks: list[TrackMeta] = list(tracks)
        detail = "; ".join(str(problem) for problem in self.problems[:10])
        more = len(self.problems) - 10
        if more > 0:
            detail += f"; and {more} more"
        super().__init__(f"{message}: {detail}" if detail else message)


# --- text lists ------------------------------------------------------------------------------


def parse_text_list(text: str) -> list[TrackMeta]:
    """Tracks from a pasted text list; raises `InvalidTrackList` if any line is bad."""
    parsed = read_text_list(text)
    _raise_on_problems(parsed)
    return parsed.tracks


def read_text_list(text: str) -> ParsedList:
    """Every track of a text list plus every bad line with its number."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_LIST_BYTES:
        raise InvalidTrackList(f"list larger than {MAX_LIST_BYTES // (1024 * 1024)} MB")
    parsed = ParsedList()
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "//")):
            continue
        if len(parsed.tracks) + len(parsed.problems) >= MAX_ROWS:
            raise InvalidTrackList(f"list longer than {MAX_ROWS} tracks; split it")
        try:
            parsed.tracks.append(parse_text_line(line))
        except ValueError as exc:
            parsed.problems.append(ListProblem(number, _clip(line), str(exc)))
    return parsed


def parse_text_line(line: str) -> TrackMeta:
    """One ``Artist - Title`` line as a wanted track; ValueError says what is wrong."""
    if len(line) > MAX_LINE_LENGTH:
        raise ValueError(f"longer than {MAX_LINE_LENGTH} characters")
    if _looks_like_spotify_link(line):
        raise ValueError("a Spotify link: paste links into the link field, not the text list")
    line = _NUMBERING.sub("", line, count=1)
    pieces = _SEPARATOR.split(line, maxsplit=1)
    if len(pieces) != 2:
        raise ValueError('expected "Artist - Title"')
    artist_part, title = pieces[0].strip(), pieces[1].strip()
    if not artist_part or not title:
        raise ValueError('expected "Artist - Title" with both parts filled in')
    return TrackMeta(title=title, artists=_artists(artist_part, title))


def _artists(artist_part: str, title: str) -> tuple[str, ...]:
    """Main artist first, then `feat.` artists from the artist part and the title."""
    names = [name.strip(" )]") for name in _FEAT.split(artist_part)]
    for match in _TITLE_FEAT.finditer(title):
        names.extend(re.split(r",\s*|\s+&\s+|\s+and\s+", match.group(1)))
    unique: list[str] = []
    for name in (n.strip() for n in names):
        if name and name.casefold() not in {u.casefold() for u in unique}:
            unique.append(name)
    return tuple(unique)


def _looks_like_spotify_link(line: str) -> bool:
    if "spotify" not in line.lower():
        return False
    try:
        parse_spotify_link(line)
    except InvalidSpotifyLink:
        return False
    return True


# --- CSV -------------------------------------------------------------------------------------

# Canonical field -> accepted header spellings (compared after `_header_key`).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("trackname", "name", "title", "track", "song", "songname"),
    "artists": ("artistnames", "artistname", "artist", "artists"),
    "artist_uris": ("artisturis", "artisturi"),
    "album": ("albumname", "album"),
    "album_artist": ("albumartistnames", "albumartistname", "albumartist"),
    "duration_ms": ("durationms", "trackdurationms", "duration"),
    "isrc": ("isrc",),
    "uri": ("trackuri", "uri", "spotifyuri", "trackid", "spotifyid"),
    "release_date": ("albumreleasedate", "releasedate", "date"),
    "track_number": ("tracknumber", "trackno"),
    "disc_number": ("discnumber", "discno"),
    "explicit": ("explicit",),
}


def parse_csv(fileobj: IO[str] | IO[bytes]) -> list[TrackMeta]:
    """Tracks from an Exportify-style CSV; raises `InvalidTrackList` if any row is bad."""
    parsed = read_csv(fileobj)
    _raise_on_problems(parsed)
    return parsed.tracks


def read_csv(fileobj: IO[str] | IO[bytes]) -> ParsedList:
    """Every track of a CSV export plus every bad row with its line number."""
    reader = csv.reader(io.StringIO(_read_bounded(fileobj)))
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidTrackList("empty CSV file")
        columns = _map_columns(header)
        parsed = ParsedList()
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(parsed.tracks) + len(parsed.problems) >= MAX_ROWS:
                raise InvalidTrackList(f"CSV longer than {MAX_ROWS} rows; split it")
            _add_csv_row(parsed, row, columns, line=reader.line_num)
    except csv.Error as exc:
        raise InvalidTrackList(f"malformed CSV near line {reader.line_num}: {exc}") from None
    return parsed


def _read_bounded(fileobj: IO[str] | IO[bytes]) -> str:
    data = fileobj.read(MAX_LIST_BYTES + 1)
    if len(data) > MAX_LIST_BYTES:
        raise InvalidTrackList(f"CSV larger than {MAX_LIST_BYTES // (1024 * 1024)} MB")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Spreadsheet programs on Windows still save CP-1252; it decodes every byte.
            data = data.decode("cp1252", errors="replace")
    if "\x00" in data:
        raise InvalidTrackList("not a text CSV file (contains NUL bytes)")
    return data.lstrip("\ufeff")


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lstrip("\ufeff").lower())


def _map_columns(header: list[str]) -> dict[str, int]:
    keys = [_header_key(name) for name in header]
    columns: dict[str, int] = {}
    for canonical, spellings in _COLUMNS.items():
        for spelling in spellings:
            if spelling in keys:
                columns[canonical] = keys.index(spelling)
                break
    if "title" not in columns or "artists" not in columns:
        raise InvalidTrackList(
            "CSV needs a track-name and an artist column (e.g. Exportify's 'Track Name' and "
            f"'Artist Name(s)'); found {', '.join(header[:12]) or 'no columns'}"
        )
    return columns


def _add_csv_row(parsed: ParsedList, row: list[str], columns: dict[str, int], *, line: int) -> None:
    cells = {
        name: (row[index].strip() if index < len(row) else "") for name, index in columns.items()
    }
    try:
        parsed.tracks.append(_csv_track(cells))
    except ValueError as exc:
        parsed.problems.append(ListProblem(line, _clip(",".join(row)), str(exc)))


def _csv_track(cells: dict[str, str]) -> TrackMeta:
    title, artists = cells["title"], _csv_artists(cells)
    if not title or not artists:
        raise ValueError("missing track name or artist")
    if len(title) > MAX_LINE_LENGTH:
        raise ValueError(f"track name longer than {MAX_LINE_LENGTH} characters")
    date = cells.get("release_date", "")
    return TrackMeta(
        title=title,
        artists=artists,
        album=cells.get("album", ""),
        album_artist=next(iter(_split_names(cells.get("album_artist", ""))), ""),
        release_date=date if _release_precision(date) else "",
        release_date_precision=_release_precision(date),
        track_number=_optional_int(cells.get("track_number", ""), "track number"),
        disc_number=_optional_int(cells.get("disc_number", ""), "disc number"),
        duration_ms=_duration_ms(cells.get("duration_ms", "")),
        isrc=cells.get("isrc", "").upper().replace("-", ""),
        explicit=cells.get("explicit", "").lower() in ("true", "1", "yes"),
        spotify_track_id=_track_id(cells.get("uri", "")),
    )


def _csv_artists(cells: dict[str, str]) -> tuple[str, ...]:
    raw = cells["artists"]
    if ";" in raw:  # newer Exportify joins artists with ";"
        return _split_names(raw, ";")
    # Older exports join with "," — but names like "Tyler, The Creator" contain commas, so only
    # split when the artist-URI column proves how many artists there are.
    uri_count = len([u for u in cells.get("artist_uris", "").split(",") if u.strip()])
    names = _split_names(raw, ",")
    if uri_count > 1 and len(names) == uri_count:
        return names
    return (raw.strip(),) if raw.strip() else ()


def _split_names(raw: str, separator: str = ";") -> tuple[str, ...]:
    return tuple(name.strip() for name in raw.split(separator) if name.strip())


def _release_precision(date: str) -> str:
    if re.fullmatch(r"\d{4}", date):
        return "year"
    if re.fullmatch(r"\d{4}-\d{2}", date):
        return "month"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return "day"
    return ""


def _optional_int(value: str, label: str) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"{label} {value!r} is not a whole number")
    return int(value)


def _duration_ms(value: str) -> int | None:
    """Milliseconds, or ``m:ss`` as some exports write it."""
    if not value:
        return None
    match = re.fullmatch(r"(\d{1,3}):([0-5]\d)", value)
    if match:
        return (int(match.group(1)) * 60 + int(match.group(2))) * 1000
    try:
        duration = int(float(value))
    except (ValueError, OverflowError):
        raise ValueError(f"duration {value!r} is not a number of milliseconds") from None
    if not 0 < duration < 24 * 3600 * 1000:
        raise ValueError(f"duration {value!r} out of range")
    return duration


def _track_id(value: str) -> str:
    if not value:
        return ""
    try:
        ref = parse_spotify_link(value, default_kind="track")
    except InvalidSpotifyLink:
        return ""  # local files ("spotify:local:…") and junk: keep the row as text only
    return ref.id if ref.kind == "track" else ""


def _raise_on_problems(parsed: ParsedList) -> None:
    if parsed.problems:
        raise InvalidTrackList(
            f"{len(parsed.problems)} bad line(s)", problems=parsed.problems, tracks=parsed.tracks
        )


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
