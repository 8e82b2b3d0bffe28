"""Real, tiny audio files for the test suite and the benchmarks, encoded with PyAV (FFmpeg).

Nothing is committed: every file is generated on demand. Formats (`fmt`):

| fmt    | container / codec         | bitrate argument                                   |
|--------|---------------------------|----------------------------------------------------|
| flac   | FLAC                      | ignored (lossless); bit_depth 16 or 24             |
| mp3    | MPEG-1 Layer III (LAME)   | kbps for CBR (default 320), or "V0".."V9" for VBR  |
| m4a    | MP4 / AAC-LC              | kbps (default 256)                                 |
| alac   | MP4 / ALAC (file is .m4a) | ignored (lossless); bit_depth 16 or 24             |
| ogg    | Ogg / Vorbis              | kbps target (default 160)                          |
| opus   | Ogg / Opus                | kbps (default 128); sample_rate is forced to 48000 |
| wav    | RIFF / PCM                | ignored; bit_depth 16 or 24                        |

Command to write one by hand (e.g. to attach to a bug report):

    .venv/bin/python -m tests.audio /tmp/sample.flac flac --duration 2 --title "A title"

Suites that need many files should call `cached_audio` (or the `audio_file` pytest fixture in
`tests/library/conftest.py`): each parameter set is encoded once per cache directory and then
copied, which is a plain file copy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import mutagen
import numpy as np
from mutagen import id3
from mutagen.wave import WAVE

TagValue = str | Sequence[str]

EXTENSIONS = {
    "flac": "flac",
    "mp3": "mp3",
    "m4a": "m4a",
    "alac": "m4a",
    "ogg": "ogg",
    "opus": "opus",
    "wav": "wav",
}
_CONTAINERS = {
    "flac": "flac",
    "mp3": "mp3",
    "m4a": "ipod",
    "alac": "ipod",
    "ogg": "ogg",
    "opus": "ogg",
    "wav": "wav",
}
_DEFAULT_KBPS = {"mp3": 320, "m4a": 256, "ogg": 160, "opus": 128}
_FF_QP2LAMBDA = 118  # FFmpeg's scale for `-q:a N`: LAME's VBR quality N


def make_audio(
    path: str | Path,
    fmt: str,
    *,
    duration_s: float = 1.0,
    sample_rate: int = 44100,
    bitrate: int | str | None = None,
    bit_depth: int = 16,
    channels: int = 2,
    tags: Mapping[str, TagValue] | None = None,
    frequency_hz: float = 440.0,
    noise: float = 0.0,
) -> Path:
    """Encode a quiet sine of `duration_s` into `path` and optionally tag it.

    Vary `frequency_hz` for files whose audio (not only tags) differs, e.g. in dedupe tests.
    `noise` (0..1) adds that much seeded white noise: a lossless file then needs a bit rate
    like real music's instead of compressing to almost nothing.

    `tags` uses mutagen's "easy" keys (title, artist, album, albumartist, tracknumber, date,
    genre, isrc, ...); a list value becomes a multi-valued tag where the format allows.
    """
    path = Path(path)
    if fmt not in EXTENSIONS:
        raise ValueError(f"unknown test audio format {fmt!r}; one of {sorted(EXTENSIONS)}")
    if fmt == "opus":
        sample_rate = 48000  # the only rate Opus files declare
    path.parent.mkdir(parents=True, exist_ok=True)
    wave = _Wave(frequency_hz, noise)
    _encode(path, fmt, duration_s, sample_rate, bitrate, bit_depth, channels, wave)
    if tags:
        _write_tags(path, fmt, tags)
    return path


def _codec_settings(fmt: str, bit_depth: int) -> tuple[str, str]:
    """(codec name, sample format) for one test format."""
    hi = bit_depth > 16
    return {
        "flac": ("flac", "s32" if hi else "s16"),
        "mp3": ("libmp3lame", "s16p"),
        "m4a": ("aac", "fltp"),
        "alac": ("alac", "s32p" if hi else "s16p"),
        "ogg": ("vorbis", "fltp"),
        "opus": ("libopus", "s16"),
        "wav": ("pcm_s24le" if hi else "pcm_s16le", "s32" if hi else "s16"),
    }[fmt]


def _encode(
    path: Path,
    fmt: str,
    duration_s: float,
    sample_rate: int,
    bitrate: int | str | None,
    bit_depth: int,
    channels: int,
    wave: _Wave,
) -> None:
    total = max(1, round(duration_s * sample_rate))
    t = np.arange(total) / sample_rate
    samples = 0.1 * np.sin(2 * np.pi * wave.frequency_hz * t)
    if wave.noise:
        rng = np.random.default_rng(round(wave.frequency_hz * 1000))  # the same file every time
        samples = samples + wave.noise * rng.uniform(-1.0, 1.0, total)
    write_pcm(
        path,
        fmt,
        np.stack([samples] * channels),
        sample_rate=sample_rate,
        bitrate=bitrate,
        bit_depth=bit_depth,
    )


def write_pcm(
    path: str | Path,
    fmt: str,
    samples: np.ndarray,
    *,
    sample_rate: int,
    bitrate: int | str | None = None,
    bit_depth: int = 16,
) -> Path:
    """Encode float samples shaped (channels, n), in [-1, 1], into `path` as `fmt`."""
    path = Path(path)
    codec, sample_fmt = _codec_settings(fmt, bit_depth)
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    with av.open(str(path), "w", format=_CONTAINERS[fmt]) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout=layout)
        ctx = stream.codec_context
        ctx.format = sample_fmt
        if fmt == "flac" or fmt == "alac":
            ctx.options = {"bits_per_raw_sample": str(bit_depth)}
        if fmt == "ogg":
            ctx.options = {"strict": "experimental"}  # FFmpeg's native Vorbis encoder
        _set_bitrate(ctx, fmt, bitrate)
        for frame in _frames(samples, sample_rate, sample_fmt, layout):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _set_bitrate(ctx: av.codec.CodecContext, fmt: str, bitrate: int | str | None) -> None:
    if fmt not in _DEFAULT_KBPS:
        return
    if isinstance(bitrate, str) and bitrate.upper().startswith("V"):
        # LAME VBR preset, as `ffmpeg -q:a N`
        ctx.qscale = True
        ctx.global_quality = int(bitrate[1:]) * _FF_QP2LAMBDA
        return
    ctx.bit_rate = int(bitrate or _DEFAULT_KBPS[fmt]) * 1000


@dataclass(frozen=True)
class _Wave:
    frequency_hz: float
    noise: float


def _frames(
    samples: np.ndarray, sample_rate: int, sample_fmt: str, layout: str
) -> list[av.AudioFrame]:
    frames = []
    chunk = 4096
    for start in range(0, samples.shape[1], chunk):
        part = np.clip(samples[:, start : start + chunk], -1.0, 1.0)
        frame = av.AudioFrame.from_ndarray(
            _to_format(part, sample_fmt), format=sample_fmt, layout=layout
        )
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        frames.append(frame)
    return frames


def _to_format(planes: np.ndarray, sample_fmt: str) -> np.ndarray:
    base = sample_fmt.rstrip("p")
    if base == "flt":
        planes = planes.astype(np.float32)
    else:
        dtype = np.int16 if base == "s16" else np.int32
        planes = np.round(planes * np.iinfo(dtype).max).astype(dtype)
    if sample_fmt.endswith("p"):
        return planes
    return planes.T.reshape(1, -1)  # packed: interleaved samples in one plane


def _write_tags(path: Path, fmt: str, tags: Mapping[str, TagValue]) -> None:
    values = {
        key: [value] if isinstance(value, str) else list(value) for key, value in tags.items()
    }
    if fmt == "wav":
        _write_wav_tags(path, values)
        return
    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    for key, items in values.items():
        audio[key] = items
    audio.save()


# mutagen has no "easy" WAVE: the few keys tests use, as the ID3 frames WAV files carry.
_WAV_FRAMES = {
    "title": "TIT2",
    "artist": "TPE1",
    "album": "TALB",
    "albumartist": "TPE2",
    "tracknumber": "TRCK",
    "discnumber": "TPOS",
    "date": "TDRC",
    "genre": "TCON",
    "isrc": "TSRC",
}


def _write_wav_tags(path: Path, values: Mapping[str, list[str]]) -> None:
    audio = WAVE(path)
    audio.add_tags()
    for key, items in values.items():
        audio.tags.add(id3.Frames[_WAV_FRAMES[key]](encoding=3, text=items))
    audio.save()


def cached_audio(cache_dir: Path, dest: str | Path, fmt: str, **params: object) -> Path:
    """Copy of a generated file, encoding each distinct parameter set only once per cache dir."""
    key = hashlib.sha256(json.dumps([fmt, params], sort_keys=True).encode()).hexdigest()[:16]
    template = cache_dir / f"{key}.{EXTENSIONS[fmt]}"
    if not template.exists():
        # Encode under a private name so parallel workers never copy a half-written template.
        partial = cache_dir / f"{key}.{os.getpid()}.part.{EXTENSIONS[fmt]}"
        make_audio(partial, fmt, **params)  # type: ignore[arg-type]
        os.replace(partial, template)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, dest)
    return dest


def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a small real audio file.")
    parser.add_argument("path")
    parser.add_argument("fmt", choices=sorted(EXTENSIONS))
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--sample-rate", type=int, default=44100)
    parser.add_argument("--bitrate", default=None, help="kbps, or V0..V9 for MP3 VBR")
    parser.add_argument("--bit-depth", type=int, default=16)
    parser.add_argument("--title")
    parser.add_argument("--artist")
    parser.add_argument("--album")
    args = parser.parse_args(argv)
    bitrate = args.bitrate
    if bitrate and bitrate.isdigit():
        bitrate = int(bitrate)
    tags = {k: getattr(args, k) for k in ("title", "artist", "album") if getattr(args, k)}
    path = make_audio(
        args.path,
        args.fmt,
        duration_s=args.duration,
        sample_rate=args.sample_rate,
        bitrate=bitrate,
        bit_depth=args.bit_depth,
        tags=tags or None,
    )
    print(path)


if __name__ == "__main__":
    _main()
