"""Library paths from tags: a template, and sanitising that never lets a path escape MUSIC_DIR.

Template syntax (documented in docs/library.md, "Naming"): `{token}` or `{token:spec}` with a
Python format spec (`{track:02}`); `/` separates directories; `[...]` is an optional group,
dropped when any token inside it is empty (`[{disc}-]` shows the disc only on multi-disc albums).
"""

from __future__ import annotations

import functools
import os
import re
import string
import unicodedata
from pathlib import Path, PurePosixPath

from pathvalidate import sanitize_filename

from providers.types import TrackMeta

DEFAULT_TEMPLATE = "{albumartist}/{album}[ ({year})]/[{disc}-][{track:02} ]{title}.{ext}"
TOKENS: dict[str, str] = {
    "albumartist": "album artist, else the primary artist",
    "artist": "primary (first credited) artist",
    "artists": "all credited artists, joined with ', '",
    "album": "album title",
    "title": "track title",
    "year": "release year (4 digits)",
    "date": "release date as tagged (1997, 1997-05 or 1997-05-21)",
    "track": "track number (number: use {track:02} to pad)",
    "tracktotal": "number of tracks on the disc/album",
    "disc": "disc number, only when the album has more than one disc",
    "discnumber": "disc number, always (when known)",
    "disctotal": "number of discs",
    "genre": "first genre",
    "isrc": "ISRC",
    "ext": "file extension without the dot (lower case)",
}
PLACEHOLDERS = {
    "albumartist": "Unknown Artist",
    "artist": "Unknown Artist",
    "artists": "Unknown Artist",
    "album": "Unknown Album",
    "title": "Unknown Title",
}
EMPTY_COMPONENT = "Unknown"
MAX_COMPONENT_BYTES = 255
_NUMERIC = {"track", "tracktotal", "disc", "discnumber", "disctotal"}
_GROUP = re.compile(r"\[([^\[\]]*)\]")
_WINDOWS_RESERVED = re.compile(
    r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$", re.I
)
_SEPARATORS = str.maketrans({"/": "_", "\\": "_"})
_SPACES = re.compile(r"\s+")


class InvalidTemplate(ValueError):
    """The naming template cannot be used; the message names the problem."""


class UnsafePath(ValueError):
    """A path would leave its root directory."""


@functools.lru_cache(maxsize=32)  # the configured template is checked once, not per file
def validate_template(template: str) -> None:
    """Raise InvalidTemplate unless `template` renders (checks tokens, specs and brackets)."""
    render_preview(template)


def template_from_config() -> str:
    from harmony_site.config import get_config

    template = get_config()["NAMING_TEMPLATE"] or DEFAULT_TEMPLATE
    validate_template(template)
    return template


def library_path(meta: TrackMeta, ext: str, *, template: str = DEFAULT_TEMPLATE) -> PurePosixPath:
    """The sanitised path, relative to MUSIC_DIR, for a track with these tags."""
    values = token_values(meta, ext)
    parts = [_render_segment(segment, values) for segment in _compile(template)]
    parts[-1] = sanitize_component(parts[-1], keep_suffix=True)
    parts[:-1] = [sanitize_component(part) for part in parts[:-1]]
    return PurePosixPath(*parts)


def render_preview(template: str, sample: TrackMeta | None = None) -> str:
    """The path a sample track would get, for the settings page; raises InvalidTemplate."""
    return str(library_path(sample or _SAMPLE, "flac", template=template))


def token_values(meta: TrackMeta, ext: str) -> dict[str, str | int | None]:
    """Every token's raw value for `meta` (None when unknown)."""
    multi_disc = (meta.disc_total or 0) > 1 or (meta.disc_number or 0) > 1
    values: dict[str, str | int | None] = {
        "albumartist": meta.album_artist or meta.artist,
        "artist": meta.artist,
        "artists": ", ".join(meta.artists),
        "album": meta.album,
        "title": meta.title,
        "year": meta.year if meta.year.isdigit() else "",
        "date": meta.release_date,
        "track": meta.track_number,
        "tracktotal": meta.track_total,
        "disc": meta.disc_number if multi_disc else None,
        "discnumber": meta.disc_number,
        "disctotal": meta.disc_total,
        "genre": meta.genres[0] if meta.genres else "",
        "isrc": meta.isrc,
        "ext": re.sub(r"[^a-z0-9]", "", ext.lower()) or "bin",
    }
    return {
        k: (v.strip().translate(_SEPARATORS) if isinstance(v, str) else v)
        for k, v in values.items()
    }


def _segments(template: str) -> list[str]:
    if not template or not template.strip():
        raise InvalidTemplate("the template is empty")
    if template.startswith("/"):
        raise InvalidTemplate("the template must be relative (no leading '/')")
    segments = template.split("/")
    if any(not segment.strip() for segment in segments):
        raise InvalidTemplate("the template has an empty directory level ('//' or a trailing '/')")
    if not segments[-1].endswith(".{ext}"):
        raise InvalidTemplate("the file name must end with .{ext}")
    return segments


# A parsed piece of a segment: (is an optional [ ] group, its (literal, token, spec) triples).
_Piece = tuple[bool, tuple[tuple[str, str | None, str], ...]]


@functools.lru_cache(maxsize=32)
def _compile(template: str) -> tuple[tuple[_Piece, ...], ...]:
    """The template split into segments and parsed once: naming runs for every file."""
    return tuple(_compile_segment(segment) for segment in _segments(template))


def _compile_segment(segment: str) -> tuple[_Piece, ...]:
    pieces = _GROUP.split(segment)  # odd indices are the insides of [ ] groups
    compiled = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0 and ("[" in piece or "]" in piece):
            raise InvalidTemplate(f"unbalanced or nested [ ] in {segment!r}")
        compiled.append((index % 2 == 1, tuple(_parse(piece))))
    return tuple(compiled)


def _render_segment(segment: tuple[_Piece, ...], values: dict[str, str | int | None]) -> str:
    out = []
    for optional, parsed in segment:
        if optional and any(values[name] in (None, "") for _, name, _ in parsed if name):
            continue  # a group is dropped when any token inside it is empty
        out.append(_format(parsed, values))
    return "".join(out)


def _parse(text: str) -> list[tuple[str, str | None, str]]:
    """(literal, token, spec) triples; rejects unknown tokens, attribute access and conversions."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidTemplate(f"bad braces in {text!r}: {exc}") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in TOKENS:
            known = ", ".join(sorted(TOKENS))
            raise InvalidTemplate(f"unknown token {{{name}}}; known tokens: {known}")
        if conversion or "{" in (spec or ""):
            raise InvalidTemplate(f"{{{name}}} may only take a format spec like :02")
    return [(literal, name, spec or "") for literal, name, spec, _conversion in parsed]


def _format(
    parsed: tuple[tuple[str, str | None, str], ...], values: dict[str, str | int | None]
) -> str:
    out = []
    for literal, name, spec in parsed:
        out.append(literal)
        if name is None:
            continue
        value = values[name]
        if value in (None, ""):
            value = 0 if name in _NUMERIC else PLACEHOLDERS.get(name, "")
        try:
            out.append(format(value, spec))
        except ValueError as exc:
            raise InvalidTemplate(f"format spec {spec!r} does not suit {{{name}}}: {exc}") from None
    return "".join(out)


@functools.lru_cache(maxsize=4096)  # pure; artist and album names repeat across files
def sanitize_component(text: str, *, keep_suffix: bool = False) -> str:
    """One path component valid on Linux, macOS and Windows, never '.', '..' or hidden.

    With `keep_suffix` the text after the last dot (the extension) survives trimming.
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    text = "".join(ch for ch in text if not _invisible(ch))
    text = _SPACES.sub(" ", text.translate(_SEPARATORS))
    stem, dot, suffix = text.rpartition(".") if keep_suffix and "." in text else (text, "", "")
    budget = MAX_COMPONENT_BYTES - len((dot + suffix).encode("utf-8"))
    return _clean(stem, budget) + dot + suffix


def _invisible(ch: str) -> bool:
    """Bidi overrides and isolates (U+202A..U+202E, U+2066..U+2069: they make `gpj.exe` read
    as `exe.jpg`), zero-width spaces, soft hyphens, BOMs: format characters nobody sees. The
    zero-width (non-)joiners stay, as emoji sequences and Persian or Indic spelling need them."""
    return unicodedata.category(ch) == "Cf" and ch not in "\u200c\u200d"


def _clean(text: str, budget: int) -> str:
    # pathvalidate handles Windows-reserved names and characters; then our stricter rules.
    text = sanitize_filename(text, replacement_text="_", platform="universal")
    text = text.strip().lstrip(".").strip().rstrip(". ")
    if _WINDOWS_RESERVED.match(text.split(".")[0].rstrip(" ")):
        text += "_"
    text = trim_utf8(text, budget).rstrip(". ")
    return text or EMPTY_COMPONENT


def trim_utf8(text: str, limit: int) -> str:
    """Cut to at most `limit` UTF-8 bytes without splitting a character."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


def avoid_case_collisions(root: str | Path, rel: PurePosixPath) -> PurePosixPath:
    """`rel` as it can live beside what `root` already holds on a case-insensitive file system
    (a library shared to Windows or macOS), where `ABBA` and `Abba` are one name: a folder
    takes the spelling of an existing one that differs only in case, and a file name that
    would differ only in case from another file gets a number (`hello (2).flac`). Stable: the
    same `rel` gives the same answer once its file exists."""
    folder, parts = Path(root), []
    for index, part in enumerate(rel.parts):
        taken = _names_by_fold(folder)
        if index < len(rel.parts) - 1:
            spellings = taken.get(part.casefold(), set())
            part = part if not spellings or part in spellings else min(spellings)
        else:
            part = _free_name(part, taken)
        parts.append(part)
        folder = folder / part
    return PurePosixPath(*parts)


def _names_by_fold(folder: Path) -> dict[str, set[str]]:
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    taken: dict[str, set[str]] = {}
    for name in names:
        taken.setdefault(name.casefold(), set()).add(name)
    return taken


def _free_name(name: str, taken: dict[str, set[str]]) -> str:
    stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
    candidate, number = name, 1
    # Free when no other spelling of it exists (the very same name is the same file).
    while not taken.get(candidate.casefold(), set()) <= {candidate}:
        number += 1
        candidate = f"{stem} ({number}){dot}{suffix}"
    return candidate


def resolve_inside(root: str | Path, rel: str | PurePosixPath) -> Path:
    """`root / rel` as an absolute path, refusing anything that would end up outside `root`."""
    rel = PurePosixPath(rel)
    if rel.is_absolute() or not rel.parts or any(p in ("", ".", "..") for p in rel.parts):
        raise UnsafePath(f"{str(rel)!r} is not a plain relative path")
    base = Path(root).resolve()
    target = (base / rel).resolve()  # follows symlinked parents that already exist
    if not target.is_relative_to(base) or target == base:
        raise UnsafePath(f"{str(rel)!r} leaves {base}")
    return target


_SAMPLE = TrackMeta(
    title="Paranoid Android",
    artists=("Radiohead",),
    album="OK Computer",
    album_artist="Radiohead",
    release_date="1997-05-21",
    track_number=2,
    track_total=12,
    disc_number=1,
    disc_total=2,
    isrc="GBAYE9700101",
    genres=("Alternative Rock",),
)
