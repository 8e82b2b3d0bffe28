"""`tag_file`: write Harmony's tags, front cover and lyrics into a file in DOWNLOADS_DIR.

mutagen saves in place. That is safe here because tagging happens before promotion: the file
under its final library name is only ever created by the atomic mover, already tagged.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from mutagen import FileType
from PIL import Image, UnidentifiedImageError

from library.tagging import id3
from library.tagging.errors import TaggingError, UnreadableAudio
from library.tagging.fields import Picture, fields_from_meta, plain_from_lrc
from library.tagging.formats import open_audio
from library.tagging.reading import SCHEMES, ParsedAudio
from library.tagging.replaygain import ReplayGain, write_replaygain
from providers.lyrics import Lyrics
from providers.types import TrackMeta

logger = logging.getLogger("hdm.tag")

_PIL_MIME = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class TagOptions:
    id3_version: int = 4  # 4 -> ID3v2.4, 3 -> ID3v2.3
    clear_existing: bool = False
    artwork_max_size: int = 1200  # pixels, largest side; 0 keeps the original size

    @classmethod
    def from_config(cls) -> TagOptions:
        from harmony_site.config import get_config

        config = get_config()
        return cls(
            id3_version=3 if config["ID3_VERSION"] == "2.3" else 4,
            clear_existing=config["TAG_CLEAR_EXISTING"],
            artwork_max_size=config["ARTWORK_MAX_SIZE"],
        )


@dataclass(frozen=True)
class TagResult:
    format: str
    fields: tuple[str, ...]  # Harmony field names written
    artwork: bool
    lyrics: bool
    tags: dict[str, list[str]] = field(default_factory=dict)  # snapshot after writing


def tag_file(
    path: str | Path,
    meta: TrackMeta,
    *,
    artwork: bytes | None = None,
    lyrics: Lyrics | None = None,
    options: TagOptions | None = None,
) -> TagResult:
    """Write `meta` (plus cover and lyrics) into `path`; raises TaggingError for bad files.

    Only fields `meta` knows are written; other existing tags are kept unless
    `options.clear_existing`. An unusable image is skipped with a warning, not an error.
    """
    path = Path(path)
    try:
        fmt, audio = open_audio(path)
    except UnreadableAudio as exc:
        raise TaggingError(exc.reason, code=exc.code) from None
    return _write(path, fmt, audio, meta, artwork=artwork, lyrics=lyrics, options=options)


def tag_parsed(
    parsed: ParsedAudio,
    meta: TrackMeta,
    *,
    artwork: bytes | None = None,
    lyrics: Lyrics | None = None,
    options: TagOptions | None = None,
    replaygain: ReplayGain | None = None,
) -> TagResult:
    """`tag_file` on a file already parsed by `parse_audio` (no second parse), plus its
    ReplayGain tags when given.

    The file must not have changed on disk since it was parsed: mutagen writes its in-memory
    view of the file's layout back.
    """
    info = parsed.info
    return _write(
        info.path,
        info.format,
        parsed.file,
        meta,
        artwork=artwork,
        lyrics=lyrics,
        options=options,
        replaygain=replaygain,
    )


def _write(
    path: Path,
    fmt: str,
    audio: FileType,
    meta: TrackMeta,
    *,
    artwork: bytes | None,
    lyrics: Lyrics | None,
    options: TagOptions | None,
    replaygain: ReplayGain | None = None,
) -> TagResult:
    options = options or TagOptions.from_config()
    scheme = SCHEMES[fmt]
    picture = prepare_artwork(artwork, max_size=options.artwork_max_size) if artwork else None
    plain, synced = _lyrics_texts(lyrics)
    fields = fields_from_meta(meta)
    try:
        if options.clear_existing:
            scheme.clear(audio)
        scheme.write_fields(audio, fields)
        if plain or synced:
            scheme.write_lyrics(audio, plain, synced)
        if picture:
            scheme.write_picture(audio, picture)
        if replaygain:
            write_replaygain(audio, fmt, replaygain)
        if scheme is id3:
            id3.save(audio, version=options.id3_version)
        else:
            audio.save()
    except Exception as exc:  # mutagen and struct errors on damaged files
        raise TaggingError(f"{path.name}: cannot write {fmt.upper()} tags ({exc})") from None
    logger.debug("hdm.tag.written", extra={"path": str(path), "format": fmt})
    return TagResult(
        format=fmt,
        fields=tuple(fields),
        artwork=picture is not None,
        lyrics=bool(plain or synced),
        tags=_snapshot_written(path, audio, scheme, options),
    )


def _snapshot_written(
    path: Path, audio: FileType, scheme: ModuleType, options: TagOptions
) -> dict[str, list[str]]:
    """The tags as a reader now finds them, taken from the object just saved (no second read),
    except for ID3v2.3: it joins multi-valued frames and splits the date only on disk."""
    if scheme is id3 and options.id3_version == 3:
        audio = open_audio(path)[1]
    return scheme.snapshot(audio)


def _lyrics_texts(lyrics: Lyrics | None) -> tuple[str, str]:
    """(plain, synced); plain falls back to the synced words so every player shows something."""
    if lyrics is None:
        return "", ""
    synced = (lyrics.synced or "").strip()
    plain = (lyrics.plain or "").strip() or plain_from_lrc(synced)
    return plain, synced


def prepare_artwork(data: bytes, *, max_size: int) -> Picture | None:
    """The image as JPEG/PNG, its largest side capped; re-encoded only when it must change."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            kind = image.format or ""
            too_big = max_size > 0 and max(image.size) > max_size
            if kind in _PIL_MIME and not too_big:
                return Picture(data, _PIL_MIME[kind], image.width, image.height)
            return _reencode(image, kind, max_size)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        logger.warning("hdm.tag.artwork_skipped", extra={"reason": str(exc)})
        return None


def _reencode(image: Image.Image, kind: str, max_size: int) -> Picture:
    if max_size > 0:
        image.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "PNG":
        image.save(out, "PNG", optimize=True)
        mime = "image/png"
    else:  # JPEG, or any other format converted to JPEG for the widest player support
        image.convert("RGB").save(out, "JPEG", quality=90)
        mime = "image/jpeg"
    return Picture(out.getvalue(), mime, image.width, image.height)
