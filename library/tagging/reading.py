"""`read_audio`: stream info, Harmony's view of the tags, and a JSON-able snapshot of all tags."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import mutagen
from mutagen.mp3 import BitrateMode

from library.tagging import id3, mp4, vorbis
from library.tagging.errors import UnreadableAudio
from library.tagging.fields import meta_from_fields
from library.tagging.formats import open_audio
from providers.lyrics import Lyrics
from providers.types import TrackMeta

SCHEMES: dict[str, ModuleType] = {
    "flac": vorbis,
    "ogg": vorbis,
    "opus": vorbis,
    "mp3": id3,
    "wav": id3,
    "m4a": mp4,
}
LOSSLESS_CODECS = frozenset({"flac", "alac", "pcm"})
_TRUNCATION_SLACK = 0.97  # frame padding and rounding; a cut-off file misses far more
_LAME_PRESET = re.compile(r"-V\s?(\d)")


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds: format by content, stream properties and its tags."""

    path: Path
    format: str  # flac | mp3 | m4a | ogg | opus | wav
    codec: str  # flac | mp3 | aac | alac | vorbis | opus | pcm
    bitrate_kbps: int | None
    sample_rate: int | None
    bit_depth: int | None  # lossless only
    channels: int | None
    duration_s: float
    size: int
    meta: TrackMeta
    tags: dict[str, list[str]] = field(default_factory=dict)  # snapshot, JSON-able
    vbr: bool | None = None  # MP3 only: None when the file does not say
    vbr_preset: str = ""  # "V0".."V9" when a LAME header names it
    has_artwork: bool = False
    lyrics: Lyrics = field(default_factory=Lyrics)

    @property
    def lossless(self) -> bool:
        return self.codec in LOSSLESS_CODECS


class ParsedAudio(NamedTuple):
    """A parsed file: Harmony's view of it and mutagen's object, so tags can be written without
    parsing the file a second time (ingest verifies, then tags, the same parse)."""

    info: AudioInfo
    file: mutagen.FileType


def read_audio(path: str | Path, *, check_extension: bool = True, light: bool = False) -> AudioInfo:
    """Parse `path`; raises UnreadableAudio (code missing|unsupported|corrupt|wrong_format).

    `light` skips what only a tagger needs (lyrics and whether a front cover is embedded; the
    snapshot still lists them): the library scan stores neither, and on Ogg files finding the
    cover means decoding every embedded picture.
    """
    return parse_audio(path, check_extension=check_extension, light=light).info


def parse_audio(
    path: str | Path, *, check_extension: bool = True, light: bool = False
) -> ParsedAudio:
    """`read_audio`, also returning mutagen's parsed object (for `tag_parsed`)."""
    path = Path(path)
    fmt, audio = open_audio(path, check_extension=check_extension)
    return ParsedAudio(_describe(path, fmt, audio, light=light), audio)


def _describe(path: Path, fmt: str, audio: mutagen.FileType, *, light: bool) -> AudioInfo:
    scheme = SCHEMES[fmt]
    info = audio.info
    duration = max(0.0, float(getattr(info, "length", 0.0) or 0.0))
    size = path.stat().st_size
    codec = _codec(fmt, info)
    _refuse_truncated(path, fmt, info, size, duration)
    plain, synced = ("", "") if light else scheme.read_lyrics(audio)
    return AudioInfo(
        path=path,
        format=fmt,
        codec=codec,
        bitrate_kbps=_bitrate_kbps(info, size, duration),
        sample_rate=48000 if fmt == "opus" else getattr(info, "sample_rate", None) or None,
        bit_depth=getattr(info, "bits_per_sample", None) if codec in LOSSLESS_CODECS else None,
        channels=getattr(info, "channels", None),
        duration_s=duration,
        size=size,
        meta=meta_from_fields(scheme.read_fields(audio), duration_s=duration or None),
        tags=scheme.snapshot(audio),
        vbr=_vbr(info) if fmt == "mp3" else None,
        vbr_preset=_vbr_preset(info) if fmt == "mp3" else "",
        has_artwork=False if light else scheme.has_picture(audio),
        lyrics=Lyrics(plain=plain or None, synced=synced or None),
    )


def _refuse_truncated(path: Path, fmt: str, info: Any, size: int, duration: float) -> None:
    """Catch a cut-off download whose header still claims the full length.

    Only where the header fixes the byte rate (PCM WAV, constant-bitrate MP3): the audio then
    needs at least duration x bitrate bytes; tags only add to that. Compressed lossless and VBR
    files have no such bound, so the reported source size is their truncation check.
    """
    constant = fmt == "wav" or (
        fmt == "mp3" and getattr(info, "bitrate_mode", None) == BitrateMode.CBR
    )
    bitrate = getattr(info, "bitrate", 0) or 0
    if not constant or not bitrate or not duration:
        return
    needed = duration * bitrate / 8
    if size < needed * _TRUNCATION_SLACK:
        raise UnreadableAudio(
            f"{path.name}: truncated ({size} bytes, the header implies about {needed:.0f})"
        )


def _codec(fmt: str, info: Any) -> str:
    if fmt == "m4a":
        return "alac" if getattr(info, "codec", "") == "alac" else "aac"
    return {"ogg": "vorbis", "wav": "pcm"}.get(fmt, fmt)


def _bitrate_kbps(info: Any, size: int, duration: float) -> int | None:
    bitrate = getattr(info, "bitrate", 0) or 0
    if not bitrate and duration > 0:
        bitrate = size * 8 / duration  # Ogg files may leave the nominal bitrate at 0
    return round(bitrate / 1000) if bitrate else None


def _vbr(info: Any) -> bool | None:
    mode = getattr(info, "bitrate_mode", BitrateMode.UNKNOWN)
    if mode == BitrateMode.UNKNOWN:
        return None
    return mode != BitrateMode.CBR


def _vbr_preset(info: Any) -> str:
    match = _LAME_PRESET.search(getattr(info, "encoder_settings", "") or "")
    return f"V{match.group(1)}" if match else ""
