"""Audio analysis on decoded PCM: spectrum (fake lossless), levels (silence, clipping) and
loudness (EBU R128, for ReplayGain 2.0). Pure: numpy and scipy on samples, no database.

`analyse_file(path)` decodes once and feeds every meter from the same chunks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from library.analysis.decode import DecodeError, open_pcm
from library.analysis.levels import LevelMeter, Levels
from library.analysis.loudness import Loudness, LoudnessMeter, gated_loudness
from library.analysis.spectrum import SpectrumMeter, SpectrumVerdict
from library.tagging.replaygain import REFERENCE_LUFS

__all__ = [
    "AudioAnalysis",
    "DecodeError",
    "Levels",
    "Loudness",
    "SpectrumVerdict",
    "analyse_file",
    "album_loudness",
]


@dataclass(frozen=True)
class AudioAnalysis:
    sample_rate: int
    channels: int
    spectrum: SpectrumVerdict
    levels: Levels
    loudness: Loudness

    @property
    def track_gain_db(self) -> float | None:
        lufs = self.loudness.integrated_lufs
        return None if lufs is None else REFERENCE_LUFS - lufs

    def flags(self) -> list[str]:
        """Machine-readable reasons this file is suspect; empty when it is not."""
        found = [self.spectrum.kind] if self.spectrum.suspect else []
        if self.levels.mostly_silent:
            found.append("silence")
        if self.levels.heavily_clipped:
            found.append("clipping")
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "spectrum": asdict(self.spectrum),
            "levels": asdict(self.levels),
            "loudness": asdict(self.loudness),
            "track_gain_db": self.track_gain_db,
            "flags": self.flags(),
        }


def analyse_file(path: str | Path, *, spectrum: bool = True) -> AudioAnalysis:
    """Decode `path` once and measure it; raises DecodeError when it has no decodable audio.

    `spectrum=False` skips the FFTs (lossy files: their low-pass is expected).
    """
    fmt, chunks = open_pcm(path)
    meters = _Meters(fmt.sample_rate, fmt.channels, spectrum=spectrum)
    for chunk in chunks:
        meters.feed(chunk)
    return meters.result()


def album_loudness(paths: list[Path]) -> tuple[float | None, float]:
    """(integrated LUFS, true peak) of several files gated as one programme (ReplayGain album)."""
    blocks: list[float] = []
    peak = 0.0
    for path in paths:
        fmt, chunks = open_pcm(path)
        meter = LoudnessMeter(fmt.sample_rate, fmt.channels)
        for chunk in chunks:
            meter.feed(chunk)
        blocks.extend(meter.block_energies().tolist())
        peak = max(peak, meter.result().true_peak)
    return gated_loudness(np.asarray(blocks)), peak


class _Meters:
    def __init__(self, sample_rate: int, channels: int, *, spectrum: bool) -> None:
        self.sample_rate, self.channels = sample_rate, channels
        self.spectrum = SpectrumMeter(sample_rate) if spectrum else None
        self.levels = LevelMeter(sample_rate, channels)
        self.loudness = LoudnessMeter(sample_rate, channels)

    def feed(self, chunk: Any) -> None:
        if self.spectrum is not None:
            self.spectrum.feed(chunk)
        self.levels.feed(chunk)
        self.loudness.feed(chunk)

    def result(self) -> AudioAnalysis:
        verdict = (
            self.spectrum.verdict()
            if self.spectrum is not None
            else SpectrumVerdict("skipped", None, 0.0, "lossy file: its low-pass is expected")
        )
        return AudioAnalysis(
            self.sample_rate, self.channels, verdict, self.levels.result(), self.loudness.result()
        )
