"""EBU R128 / ITU-R BS.1770-4 loudness and true peak, fed chunk by chunk.

The K-weighting filters are the two biquads of BS.1770, derived for any sample rate from their
analogue prototypes (the constants libebur128 uses), so 44.1 kHz and 96 kHz files are measured
without resampling. Integrated loudness gates 400 ms blocks (75 % overlap) at -70 LUFS and
then 10 LU below the mean of what passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter, resample_poly

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
_SUBBLOCKS_PER_BLOCK = 4  # 400 ms blocks stepped by 100 ms
_PEAK_MARGIN = 32  # input samples of context each side of the oversampling filter


def k_weighting(sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of the cascaded shelf and high-pass filters of BS.1770 at `sample_rate`."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = np.array([vh + vb * k / q + k * k, 2 * (k * k - vh), vh - vb * k / q + k * k]) / a0
    shelf_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1 + k / q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return np.convolve(shelf_b, hp_b), np.convolve(shelf_a, hp_a)


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 weights in FFmpeg's 5.1 order (L R C LFE Ls Rs): surrounds +1.5 dB, no LFE."""
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    return np.ones(channels)


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float | None  # None: nothing above the absolute gate (silence)
    true_peak: float  # linear, 1.0 = full scale; may exceed 1 for inter-sample peaks
    sample_peak: float


class LoudnessMeter:
    """Feed (channels, n) float chunks in order, then read `result()`."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self._b, self._a = k_weighting(sample_rate)
        self._state = np.zeros((channels, len(self._a) - 1))  # filters start at rest
        self._weights = channel_weights(channels)
        self._subblock = max(1, round(sample_rate / 10))
        self._rest = np.zeros((channels, 0))
        self._energies: list[float] = []  # weighted mean square of each 100 ms sub-block
        self._peaks = _PeakMeter(sample_rate)

    def feed(self, chunk: np.ndarray) -> None:
        self._peaks.feed(chunk)
        weighted, self._state = lfilter(self._b, self._a, chunk, axis=1, zi=self._state)
        pending = np.concatenate([self._rest, weighted], axis=1)
        whole = pending.shape[1] // self._subblock * self._subblock
        if whole:
            squares = pending[:, :whole] ** 2
            per_channel = squares.reshape(squares.shape[0], -1, self._subblock).mean(axis=2)
            self._energies.extend((self._weights @ per_channel).tolist())
        self._rest = pending[:, whole:]

    def block_energies(self) -> np.ndarray:
        """Weighted mean square of every complete 400 ms block (for album gating)."""
        subs = np.asarray(self._energies)
        if subs.size < _SUBBLOCKS_PER_BLOCK:
            return np.zeros(0)
        window = np.ones(_SUBBLOCKS_PER_BLOCK) / _SUBBLOCKS_PER_BLOCK
        return np.convolve(subs, window, mode="valid")

    def result(self) -> Loudness:
        true_peak, sample_peak = self._peaks.result()
        return Loudness(gated_loudness(self.block_energies()), true_peak, sample_peak)


def gated_loudness(blocks: np.ndarray) -> float | None:
    """Integrated loudness (LUFS) of block energies; None when every block is below -70."""
    loud = blocks[_lufs(blocks) > ABSOLUTE_GATE_LUFS]
    if loud.size == 0:
        return None
    threshold = _lufs(np.array([loud.mean()]))[0] + RELATIVE_GATE_LU
    gated = loud[_lufs(loud) > threshold]
    return float(_lufs(np.array([gated.mean()]))[0])


def _lufs(energy: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(energy)


class _PeakMeter:
    """Sample peak, and true peak from 4x oversampling (2x at 96 kHz and up) per BS.1770 annex 2.

    Chunks overlap by a margin so the polyphase filter never sees an artificial edge, whose
    ringing would report a peak the audio does not have.
    """

    def __init__(self, sample_rate: int) -> None:
        self._factor = 4 if sample_rate < 96000 else 2 if sample_rate < 192000 else 1
        self._tail: np.ndarray | None = None  # last input samples, kept as filter context
        self._start = 0  # first sample of the tail not measured yet
        self.true_peak = 0.0
        self.sample_peak = 0.0

    def feed(self, chunk: np.ndarray) -> None:
        if chunk.size:
            self.sample_peak = max(self.sample_peak, float(np.abs(chunk).max()))
        x = chunk if self._tail is None else np.concatenate([self._tail, chunk], axis=1)
        stop = x.shape[1] - _PEAK_MARGIN
        if stop <= self._start:
            self._tail = x  # too short to measure yet: keep all of it
            return
        self._measure(x, self._start, stop)
        self._tail = x[:, -2 * _PEAK_MARGIN :]
        self._start = self._tail.shape[1] - _PEAK_MARGIN

    def result(self) -> tuple[float, float]:
        if self._tail is not None:
            self._measure(self._tail, self._start, self._tail.shape[1])
            self._tail, self._start = None, 0
        return max(self.true_peak, self.sample_peak), self.sample_peak

    def _measure(self, x: np.ndarray, start: int, stop: int) -> None:
        if self._factor == 1:
            up = x[:, start:stop]
        else:
            up = resample_poly(x, self._factor, 1, axis=1)[
                :, start * self._factor : stop * self._factor
            ]
        if up.size:
            self.true_peak = max(self.true_peak, float(np.abs(up).max()))
