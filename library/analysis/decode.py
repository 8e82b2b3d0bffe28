"""Decode an audio file into float PCM chunks with PyAV (FFmpeg's decoders).

The analysers consume chunks, never a whole track: a ten-minute 96 kHz stereo file is 460 MB
as float32, a chunk is a few hundred kilobytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

CHUNK_SAMPLES = 1 << 16  # per channel; large enough that numpy's per-call cost is noise


class DecodeError(Exception):
    """The file has no decodable audio stream; `detail` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class StreamFormat:
    sample_rate: int
    channels: int
    codec: str


def open_pcm(path: str | Path) -> tuple[StreamFormat, Iterator[np.ndarray]]:
    """The stream's format and an iterator of (channels, n) float32 chunks in [-1, 1]."""
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise DecodeError(f"{Path(path).name}: {exc}") from None
    if not container.streams.audio:
        container.close()
        raise DecodeError(f"{Path(path).name} has no audio stream")
    stream = container.streams.audio[0]
    fmt = StreamFormat(stream.rate, stream.channels, stream.codec_context.name)
    return fmt, _chunks(container, stream)


def _chunks(container: av.container.InputContainer, stream: av.AudioStream) -> Iterator[np.ndarray]:
    # The resampler only converts the sample format (to planar float); rate and layout stay.
    resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=stream.rate)
    pending: list[np.ndarray] = []
    size = 0
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                pending.append(out.to_ndarray())
                size += out.samples
            if size >= CHUNK_SAMPLES:
                yield np.concatenate(pending, axis=1)
                pending, size = [], 0
        for out in resampler.resample(None):
            pending.append(out.to_ndarray())
    except av.FFmpegError as exc:
        raise DecodeError(f"decoding failed: {exc}") from None
    finally:
        container.close()
    if pending:
        yield np.concatenate(pending, axis=1)
