"""Digital silence and clipping, fed chunk by chunk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SILENT_LEVEL = 2.0**-15  # one 16-bit step: below it a window is digital silence
WINDOW_S = 0.1
MOSTLY_SILENT = 0.9  # share of the track that is silent before the file is flagged
CLIP_LEVEL = 0.999  # a sample at (or past, in decoded lossy audio) full scale
CLIP_RUN = 3  # consecutive full-scale samples: a flattened peak, not a peak that touches 0 dBFS
HEAVY_CLIPPING = 0.001  # share of samples in clipped runs before the file is flagged


@dataclass(frozen=True)
class Levels:
    duration_s: float
    silent_s: float
    longest_silence_s: float
    clipped_samples: int
    clipped_runs: int
    total_samples: int

    @property
    def silent_fraction(self) -> float:
        return self.silent_s / self.duration_s if self.duration_s else 1.0

    @property
    def clipped_fraction(self) -> float:
        return self.clipped_samples / self.total_samples if self.total_samples else 0.0

    @property
    def mostly_silent(self) -> bool:
        return self.silent_fraction >= MOSTLY_SILENT

    @property
    def heavily_clipped(self) -> bool:
        return self.clipped_fraction >= HEAVY_CLIPPING


class LevelMeter:
    """Silent 100 ms windows and runs of full-scale samples per channel."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self._window = max(1, round(sample_rate * WINDOW_S))
        self._rate = sample_rate
        self._rest = np.zeros((channels, 0))
        self._silent_windows = 0
        self._run = 0  # silent windows in a row, up to now
        self._longest = 0
        self._open_clip = np.zeros(channels, dtype=np.int64)  # clipped run still open per channel
        self._clipped = 0
        self._runs = 0
        self._samples = 0  # over all channels
        self._frames = 0  # per channel

    def feed(self, chunk: np.ndarray) -> None:
        self._samples += chunk.size
        self._frames += chunk.shape[1]
        self._count_clipping(chunk)
        pending = np.concatenate([self._rest, chunk], axis=1)
        whole = pending.shape[1] // self._window * self._window
        if whole:
            peaks = np.abs(pending[:, :whole]).reshape(pending.shape[0], -1, self._window)
            self._count_silence(peaks.max(axis=(0, 2)) < SILENT_LEVEL)
        self._rest = pending[:, whole:]

    def result(self) -> Levels:
        if self._rest.shape[1]:
            self._count_silence(np.array([np.abs(self._rest).max() < SILENT_LEVEL]))
        self._close_clips(np.ones_like(self._open_clip, dtype=bool))
        duration = self._frames / self._rate
        window_s = self._window / self._rate
        return Levels(
            duration_s=duration,
            silent_s=min(duration, self._silent_windows * window_s),
            longest_silence_s=min(duration, self._longest * window_s),
            clipped_samples=self._clipped,
            clipped_runs=self._runs,
            total_samples=self._samples,
        )

    def _count_silence(self, silent: np.ndarray) -> None:
        for quiet in silent.tolist():
            self._run = self._run + 1 if quiet else 0
            self._longest = max(self._longest, self._run)
        self._silent_windows += int(silent.sum())

    def _count_clipping(self, chunk: np.ndarray) -> None:
        for channel, samples in enumerate(np.abs(chunk) >= CLIP_LEVEL):
            edges = np.diff(np.concatenate([[0], samples.astype(np.int8), [0]]))
            starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
            lengths = ends - starts
            if lengths.size and starts[0] == 0:  # continues the run open at the last chunk
                lengths[0] += self._open_clip[channel]
                self._open_clip[channel] = 0
            elif self._open_clip[channel]:
                self._close_clips(np.arange(chunk.shape[0]) == channel)
            if lengths.size and ends[-1] == samples.size:  # still open: decided later
                self._open_clip[channel] = lengths[-1]
                lengths = lengths[:-1]
            long = lengths[lengths >= CLIP_RUN]
            self._clipped += int(long.sum())
            self._runs += int(long.size)

    def _close_clips(self, which: np.ndarray) -> None:
        for channel in np.nonzero(which)[0]:
            if self._open_clip[channel] >= CLIP_RUN:
                self._clipped += int(self._open_clip[channel])
                self._runs += 1
            self._open_clip[channel] = 0
