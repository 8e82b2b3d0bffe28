"""Recognise an audio file by its content, not its name, and open it with mutagen."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import mutagen
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from library.tagging.errors import UnreadableAudio

# The format names Harmony stores (LibraryFile.format) and the extensions each may carry.
FORMAT_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "flac": (".flac",),
    "mp3": (".mp3",),
    "m4a": (".m4a", ".mp4", ".m4b"),
    "ogg": (".ogg", ".oga"),
    "opus": (".opus", ".ogg"),
    "wav": (".wav", ".wave"),
}
AUDIO_EXTENSIONS: frozenset[str] = frozenset(e for exts in FORMAT_EXTENSIONS.values() for e in exts)
_CLASSES: dict[str, type[mutagen.FileType]] = {
    "flac": FLAC,
    "mp3": MP3,
    "m4a": MP4,
    "ogg": OggVorbis,
    "opus": OggOpus,
    "wav": WAVE,
}


def sniff_format(handle: BinaryIO) -> str | None:
    """The format of an open file from its first bytes, or None when it is not one we support."""
    head = handle.read(64)
    if head.startswith(b"ID3") and len(head) >= 10:
        # An ID3v2 tag may precede MPEG audio (and, against the spec, FLAC): look past it.
        size = _syncsafe(head[6:10]) + 10 + (10 if head[5] & 0x10 else 0)
        handle.seek(size)
        after = handle.read(4)
        # Padding or junk may sit between the tag and the first frame: let mutagen find it.
        return "flac" if after == b"fLaC" else "mp3"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        page = head + handle.read(192)
        return "opus" if b"OpusHead" in page else "ogg" if b"\x01vorbis" in page else None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "m4a"
    return "mp3" if _is_mpeg_layer3(head[:4]) else None


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _is_mpeg_layer3(data: bytes) -> bool:
    """An MPEG audio frame sync whose layer bits say Layer III (ADTS AAC says layer 0)."""
    return (
        len(data) >= 2 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0 and (data[1] >> 1) & 3 == 1
    )


def open_audio(path: Path, *, check_extension: bool = True) -> tuple[str, mutagen.FileType]:
    """(format, parsed mutagen file); raises UnreadableAudio with a code an operator can act on.

    The file is opened once: the format is sniffed from the same handle mutagen then parses
    (the library scan opens every file, so a second open per file is measurable).
    """
    try:
        with path.open("rb") as handle:
            fmt = _sniff_checked(path, handle, check_extension=check_extension)
            handle.seek(0)
            audio = _parse(path, fmt, handle)
    except FileNotFoundError:
        raise UnreadableAudio(f"{path.name}: file not found", code="missing") from None
    except OSError as exc:
        raise UnreadableAudio(f"{path.name}: cannot be read ({exc.strerror})") from None
    # Parsed from a handle: saving writes back to the path (mutagen declares `filename` None).
    audio.filename = str(path)  # type: ignore[assignment]
    return fmt, audio


def _sniff_checked(path: Path, handle: BinaryIO, *, check_extension: bool) -> str:
    fmt = sniff_format(handle)
    if fmt is None:
        raise UnreadableAudio(f"{path.name}: not a supported audio format", code="unsupported")
    suffix = path.suffix.lower()
    if check_extension and suffix not in FORMAT_EXTENSIONS[fmt]:
        raise UnreadableAudio(
            f"{path.name}: content is {fmt.upper()} but the extension says {suffix or 'nothing'}",
            code="wrong_format",
        )
    return fmt


def _parse(path: Path, fmt: str, handle: BinaryIO) -> mutagen.FileType:
    try:
        return _CLASSES[fmt](handle)
    except Exception as exc:  # mutagen raises many types (struct, index, its own) on bad data
        raise UnreadableAudio(f"{path.name}: corrupt {fmt.upper()} ({exc})") from None
