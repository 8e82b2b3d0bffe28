"""ReplayGain 2.0 tags, in each format's own convention.

- FLAC, Ogg Vorbis: Vorbis comments REPLAYGAIN_{TRACK,ALBUM}_{GAIN,PEAK}, "-6.52 dB", "0.988553"
- MP3, WAV: ID3 TXXX frames with the same descriptions and values
- M4A: free-form atoms ----:com.apple.iTunes:replaygain_{track,album}_{gain,peak}
- Opus: R128_TRACK_GAIN, R128_ALBUM_GAIN, Q7.8 fixed-point dB relative to -23 LUFS

Opus (RFC 7845) forbids REPLAYGAIN_* comments and has no peak tags. Its R128 gains apply on
top of the header output gain, which is left as it is: the loudness measured is what a decoder
plays, header gain included.
"""

from __future__ import annotations

from dataclasses import dataclass

from mutagen import FileType
from mutagen.id3 import ID3, TXXX
from mutagen.mp4 import AtomDataType, MP4FreeForm

REFERENCE_LUFS = -18.0  # ReplayGain 2.0
OPUS_REFERENCE_LUFS = -23.0  # EBU R128, what the Opus R128_* gains are relative to
_ITUNES = "----:com.apple.iTunes:"


@dataclass(frozen=True)
class ReplayGain:
    """Gains in dB to the ReplayGain 2.0 reference (-18 LUFS); peaks linear (1.0 = full scale)."""

    track_gain_db: float
    track_peak: float
    album_gain_db: float | None = None
    album_peak: float | None = None

    @classmethod
    def from_loudness(cls, lufs: float, peak: float) -> ReplayGain:
        return cls(REFERENCE_LUFS - lufs, peak)


def replaygain_values(gain: ReplayGain, fmt: str) -> dict[str, str]:
    """Tag name -> text, as `fmt` spells them (upper case; M4A lower-cases on write)."""
    if fmt == "opus":
        shift = OPUS_REFERENCE_LUFS - REFERENCE_LUFS
        values = {"R128_TRACK_GAIN": _q78(gain.track_gain_db + shift)}
        if gain.album_gain_db is not None:
            values["R128_ALBUM_GAIN"] = _q78(gain.album_gain_db + shift)
        return values
    values = {
        "REPLAYGAIN_TRACK_GAIN": f"{gain.track_gain_db:.2f} dB",
        "REPLAYGAIN_TRACK_PEAK": f"{gain.track_peak:.6f}",
    }
    if gain.album_gain_db is not None and gain.album_peak is not None:
        values["REPLAYGAIN_ALBUM_GAIN"] = f"{gain.album_gain_db:.2f} dB"
        values["REPLAYGAIN_ALBUM_PEAK"] = f"{gain.album_peak:.6f}"
    return values


def write_replaygain(audio: FileType, fmt: str, gain: ReplayGain) -> None:
    """Set the ReplayGain tags on a parsed mutagen file (the caller saves it)."""
    values = replaygain_values(gain, fmt)
    if fmt in ("mp3", "wav"):
        if audio.tags is None:
            audio.add_tags()
        _write_id3(audio.tags, values)
    elif fmt == "m4a":
        if audio.tags is None:
            audio.add_tags()
        for name, text in values.items():
            audio.tags[_ITUNES + name.lower()] = [
                MP4FreeForm(text.encode(), dataformat=AtomDataType.UTF8)
            ]
    else:  # Vorbis comments: FLAC, Ogg Vorbis, Opus
        if audio.tags is None:
            audio.add_tags()
        for name, text in values.items():
            audio.tags[name] = [text]


def _write_id3(tags: ID3, values: dict[str, str]) -> None:
    for name, text in values.items():
        # Other tools write the lower-case description; one frame per name, not two.
        tags.delall(f"TXXX:{name.lower()}")
        tags.setall(f"TXXX:{name}", [TXXX(encoding=3, desc=name, text=[text])])


def _q78(db: float) -> str:
    """dB as the signed Q7.8 fixed-point integer Opus uses, clamped to its 16 bits."""
    return str(max(-32768, min(32767, round(db * 256))))
