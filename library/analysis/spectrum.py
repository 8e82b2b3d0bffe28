"""Fake-lossless detection: a lossy encoder's low-pass shelf, or an upsampled source.

A lossy encoder throws away everything above its low-pass (LAME: about 16-17 kHz at 128 kbps,
19 kHz at 192 kbps, 20 kHz at 320 kbps); decoding and saving that as FLAC keeps the hole. An
upsampled file has nothing above the original Nyquist (22.05 kHz for a 44.1 kHz source in a
96 kHz file). Either way the long-term spectrum falls off a cliff into an empty band, where
genuine recordings roll off gradually or (CD masters) only at the very top of the band.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

FRAME = 4096  # FFT size: ~11 Hz bins at 44.1 kHz
MIN_DROP_DB = 30.0  # the shelf: this much lower just above the cutoff than just below it
# "Empty" above a shelf: within this much of 16-bit quantisation noise (plain or dithered);
# a genuine recording's analogue noise floor sits well above it.
EMPTY_MARGIN_DB = 12.0
EDGE_HZ = 400.0  # width of the bands compared either side of a candidate cutoff
SEARCH_FROM_HZ = 10_000.0  # genuine content below this is not something encoders remove
TOP_FRACTION = 0.95  # a cutoff this close to Nyquist is the ordinary anti-alias filter
LOSSY_MAX_HZ = 21_000.0  # encoders' low-passes sit below this
NATIVE_RATES = (44_100, 48_000)  # what an upsampled hi-res file most likely came from
UPSAMPLE_EMPTY_FROM = 0.6  # of Nyquist: 28.8 kHz at 96 kHz, above any 44.1/48 kHz source
THUMB_COLUMNS, THUMB_ROWS = 96, 32  # the stored spectrogram thumbnail


@dataclass(frozen=True)
class SpectrumVerdict:
    """`kind`: "ok", "lossy_cutoff", "upsampled" or "unknown" (too little signal to tell)."""

    kind: str
    cutoff_hz: float | None
    drop_db: float
    detail: str
    thumbnail: str = ""  # base64 of THUMB_ROWS x THUMB_COLUMNS uint8 levels, low rows first

    @property
    def suspect(self) -> bool:
        return self.kind in ("lossy_cutoff", "upsampled")


class SpectrumMeter:
    """Long-term power spectrum and a coarse spectrogram, fed chunk by chunk."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._window = np.hanning(FRAME)
        self._rest = np.zeros(0)
        self._power = np.zeros(FRAME // 2 + 1)
        self._frames = 0
        self._columns: list[np.ndarray] = []  # per-frame band powers, THUMB_ROWS bands

    def feed(self, chunk: np.ndarray) -> None:
        # Channel power spectra are averaged: a joint-stereo encoder cuts both channels.
        mono = np.concatenate([self._rest, chunk.mean(axis=0)])
        whole = mono.size // FRAME * FRAME
        if whole:
            frames = mono[:whole].reshape(-1, FRAME) * self._window
            power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
            self._power += power.sum(axis=0)
            self._frames += power.shape[0]
            bands = power[:, :-1].reshape(power.shape[0], THUMB_ROWS, -1).mean(axis=2)
            self._columns.append(bands)
        self._rest = mono[whole:]

    def verdict(self) -> SpectrumVerdict:
        thumb = self._thumbnail()
        if self._frames == 0:
            return SpectrumVerdict("unknown", None, 0.0, "too short to analyse", thumb)
        level = _db(self._power / self._frames)
        upsampled = find_upsampling(level, self.sample_rate)
        if upsampled is not None:
            return SpectrumVerdict(
                "upsampled",
                round(upsampled[0]),
                round(upsampled[1], 1),
                _upsampled_detail(*upsampled, self.sample_rate),
                thumb,
            )
        found = find_shelf(level, self.sample_rate)
        if found is None:
            return SpectrumVerdict("ok", None, 0.0, _no_shelf(level, self.sample_rate), thumb)
        cutoff, drop = found
        kind, detail = classify_shelf(cutoff, drop, self.sample_rate)
        return SpectrumVerdict(kind, round(cutoff), round(drop, 1), detail, thumb)

    def _thumbnail(self) -> str:
        if not self._columns:
            return ""
        frames = np.concatenate(self._columns)
        groups = np.array_split(frames, min(THUMB_COLUMNS, frames.shape[0]))
        image = _db(np.stack([g.mean(axis=0) for g in groups], axis=1))  # rows = bands
        top = image.max()
        # 90 dB of range onto 0..255; the floor is black, the loudest band white.
        scaled = np.clip((image - (top - 90.0)) / 90.0 * 255, 0, 255).astype(np.uint8)
        return base64.b64encode(scaled.tobytes()).decode()


def find_shelf(level_db: np.ndarray, sample_rate: int) -> tuple[float, float] | None:
    """(cutoff Hz, drop dB) of the steepest cliff into an empty band, or None.

    `level_db` is the long-term power spectrum of FRAME-point FFTs. The band above a real shelf
    stays empty up to Nyquist: nothing there rises back near the level below the cutoff.
    """
    hz_per_bin = sample_rate / FRAME
    edge = max(2, round(EDGE_HZ / hz_per_bin))
    smooth = np.convolve(level_db, np.ones(5) / 5, mode="same")
    first = max(edge, round(SEARCH_FROM_HZ / hz_per_bin))
    last = level_db.size - 2 * edge
    if last <= first:
        return None
    below = _running_mean(smooth, edge)  # below[i]: mean of smooth[i - edge : i]
    drops = np.array([below[i] - smooth[i + 1 : i + 1 + edge].mean() for i in range(first, last)])
    best = int(np.argmax(drops))
    drop = float(drops[best])
    cutoff_bin = first + best
    if drop < MIN_DROP_DB:
        return None
    above = smooth[cutoff_bin + 1 :]
    if float(np.median(above)) > quantisation_floor_db() + EMPTY_MARGIN_DB:
        return None  # a steep edge into a noise floor: recorded, not removed
    if (
        float(np.max(above[edge:-edge] if above.size > 2 * edge else above))
        > below[cutoff_bin] - MIN_DROP_DB / 2
    ):
        return None  # a notch, not a shelf: the band comes back
    return cutoff_bin * hz_per_bin, drop


def quantisation_floor_db() -> float:
    """Per-bin level of 16-bit rounding noise (1 LSB uniform) in a Hann-windowed FRAME FFT."""
    variance = (2.0**-15) ** 2 / 12
    return float(10 * np.log10(variance * np.sum(np.hanning(FRAME) ** 2)))


def classify_shelf(cutoff_hz: float, drop_db: float, sample_rate: int) -> tuple[str, str]:
    """Name what a shelf at `cutoff_hz` means for a file at `sample_rate`."""
    nyquist = sample_rate / 2
    khz = f"{cutoff_hz / 1000:.1f} kHz"
    if cutoff_hz >= TOP_FRACTION * nyquist:
        return "ok", f"spectrum reaches {khz}, the top of the band (anti-alias filter)"
    if cutoff_hz < LOSSY_MAX_HZ:
        return "lossy_cutoff", (
            f"hard low-pass at {khz} ({drop_db:.0f} dB cliff, empty up to "
            f"{nyquist / 1000:g} kHz): the signature of a lossy encoder"
        )
    return "ok", f"spectrum ends at {khz}, above any lossy encoder's low-pass"


def find_upsampling(level_db: np.ndarray, sample_rate: int) -> tuple[float, float] | None:
    """(top of content Hz, content level over the floor dB) of a hi-res file whose band above
    the original Nyquist is empty, or None.

    Resamplers' low-passes range from brick walls to gentle slopes (FFmpeg's default falls
    over 5 kHz), so this looks for emptiness, not a cliff: nothing above UPSAMPLE_EMPTY_FROM of
    Nyquist rises above 16-bit rounding noise, while the audible treble clearly does.
    """
    if sample_rate <= max(NATIVE_RATES):
        return None
    hz_per_bin = sample_rate / FRAME
    smooth = np.convolve(level_db, np.ones(9) / 9, mode="same")
    empty = quantisation_floor_db() + EMPTY_MARGIN_DB
    high = smooth[round(UPSAMPLE_EMPTY_FROM * sample_rate / 2 / hz_per_bin) : -5]
    treble = smooth[round(16_000 / hz_per_bin) : round(20_000 / hz_per_bin)]
    content = float(np.median(treble)) - empty
    if float(high.max()) > empty or content < MIN_DROP_DB:
        return None
    top = np.nonzero(smooth[:-5] > empty)[0]
    return float(top[-1] * hz_per_bin), content


def _upsampled_detail(top_hz: float, content_db: float, sample_rate: int) -> str:
    source = next((r for r in NATIVE_RATES if top_hz <= r / 2 * 1.25), None)
    origin = f"{source / 1000:g} kHz" if source else "a lower rate"
    return (
        f"nothing above {top_hz / 1000:.1f} kHz in a {sample_rate / 1000:g} kHz file, while the "
        f"treble is {content_db:.0f} dB above that: upsampled, most likely from {origin}"
    )


def _no_shelf(level_db: np.ndarray, sample_rate: int) -> str:
    hz_per_bin = sample_rate / FRAME
    audible = np.nonzero(level_db > level_db.max() - 90)[0]
    top = (audible[-1] if audible.size else 0) * hz_per_bin
    return f"no low-pass shelf; content up to {top / 1000:.1f} kHz"


def _running_mean(values: np.ndarray, width: int) -> np.ndarray:
    sums = np.concatenate([[0.0], np.cumsum(values)])
    out = np.full(values.size, -np.inf)
    out[width:] = (sums[width:-1] - sums[: -width - 1]) / width
    return out


def _db(power: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.maximum(power, 1e-20))
