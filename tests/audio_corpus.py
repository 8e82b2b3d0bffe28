"""Generated audio for the verification checks: genuine lossless, transcodes and upsamples.

Signals are seeded, so every run builds the same corpus. "Genuine" signals carry content up to
Nyquist and an analogue-like noise floor (-80 dBFS), as real recordings do; the fakes are the
same signals put through what a bad rip goes through (an MP3 encoder, or a resampler), decoded
and saved again as FLAC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.audio import write_pcm

MP3_RATES = (128, 192, 320)


def pink_noise(
    seconds: float, rate: int, rng: np.random.Generator, level: float = 0.1
) -> np.ndarray:
    """Stereo 1/f noise scaled to `level` RMS."""
    n = round(seconds * rate)
    spectrum = rng.standard_normal((2, n // 2 + 1)) + 1j * rng.standard_normal((2, n // 2 + 1))
    freqs = np.maximum(np.fft.rfftfreq(n, 1 / rate), 20.0)
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n=n, axis=1)
    return noise / np.sqrt(np.mean(noise**2)) * level


def music_like(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Harmonic notes with envelopes, percussive noise bursts and a recording's noise floor."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros((2, n))
    note_s = rng.choice([0.25, 0.5, 1.0])
    for start in np.arange(0, seconds, note_s):
        f0 = 110 * 2 ** (rng.integers(0, 36) / 12)
        seg = (t >= start) & (t < start + note_s * 1.5)
        env = np.exp(-(t[seg] - start) * rng.uniform(1, 6))
        harmonics = np.arange(1, int(min(40, rate / 2 / f0)))
        tone = sum(np.sin(2 * np.pi * f0 * k * t[seg]) / k**1.2 for k in harmonics)
        out[:, seg] += 0.15 * env * tone * rng.uniform(0.6, 1.0, size=(2, 1))
    hats = rng.uniform(0.02, 0.08)
    for start in np.arange(0, seconds, note_s / 2):
        length = int(0.08 * rate)
        i = int(start * rate)
        burst = np.diff(rng.standard_normal((2, length + 1)), axis=1)  # tilted towards treble
        out[:, i : i + length] += (
            hats * burst[:, : n - i] * np.exp(-np.arange(length) / (0.02 * rate))[: n - i]
        )
    out += rng.standard_normal((2, n)) * 10 ** (-80 / 20)
    return out / max(1.0, np.abs(out).max() / 0.9)


def through_mp3(samples: np.ndarray, rate: int, kbps: int, work: Path) -> np.ndarray:
    """The samples after an MP3 round trip at `kbps` (encode with LAME, decode again)."""
    mp3 = write_pcm(work / f"roundtrip-{kbps}.mp3", "mp3", samples, sample_rate=rate, bitrate=kbps)
    decoded = np.concatenate(list(_decode(mp3, rate)), axis=1)
    mp3.unlink()
    return decoded[:, : samples.shape[1]]


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """FFmpeg's resampler (swr), as a tool that "upconverts" a rip would use."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=to_rate)
    frame = av.AudioFrame.from_ndarray(samples.astype(np.float32), format="fltp", layout="stereo")
    frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
    frames = resampler.resample(frame) + resampler.resample(None)
    return np.concatenate([f.to_ndarray() for f in frames], axis=1).astype(np.float64)


def _decode(path: Path, rate: int) -> Iterator[np.ndarray]:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                yield out.to_ndarray().astype(np.float64)


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    fake: bool  # what the detector should say
    label: str  # e.g. "music-3 mp3-192", for failure messages and the docs table


def build_corpus(folder: Path, *, signals: int = 12, seconds: float = 4.0) -> list[CorpusFile]:
    """Per signal: genuine 44.1 kHz FLAC, three MP3 transcodes, a 96 kHz upsample; plus a
    genuine 96 kHz recording for every other signal. 12 signals make 66 files."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[CorpusFile] = []
    for index in range(signals):
        kind = "noise" if index % 2 else "music"
        make = pink_noise if kind == "noise" else music_like
        signal = make(seconds, 44_100, np.random.default_rng(index))
        versions = [("genuine", signal, 44_100, False)]
        versions += [
            (f"mp3-{kbps}", through_mp3(signal, 44_100, kbps, folder), 44_100, True)
            for kbps in MP3_RATES
        ]
        versions.append(("upsampled-96k", resample(signal, 44_100, 96_000), 96_000, True))
        if index % 2 == 0:
            hires = make(seconds, 96_000, np.random.default_rng(1000 + index))
            versions.append(("genuine-96k", hires, 96_000, False))
        for label, samples, rate, fake in versions:
            name = f"{kind}-{index} {label}"
            path = folder / f"{name}.flac"
            depth = 24 if rate > 48_000 else 16
            write_pcm(path, "flac", samples, sample_rate=rate, bit_depth=depth)
            files.append(CorpusFile(path, fake, name))
    return files
