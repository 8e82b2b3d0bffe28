"""Verified-audio benchmark: what decoding and analysing a file costs per minute of audio.

    .venv/bin/python bench/verify_bench.py [--minutes 1.0] [--repeat 3]

For each kind of delivery (CD FLAC, 24/96 FLAC, MP3 320, Opus) a music-like signal of
`--minutes` is generated and `library.analysis.analyse_file` (decode, spectrum, silence and
clipping, EBU R128 loudness and true peak) is timed; the best of `--repeat` runs is kept and
divided by the audio's length. Album gain (`album_loudness`, a second decode of every track) is
timed on the CD FLAC, and so is the Chromaprint fingerprint (`fpcalc`, a child process whose CPU
time is counted). CPU time is reported beside wall time, so load from other processes on a
shared machine shows as the difference. Writes `bench/results/verify.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from library.analysis import album_loudness, analyse_file  # noqa: E402
from library.fingerprint import fingerprint_file  # noqa: E402
from tests.audio import write_pcm  # noqa: E402
from tests.audio_corpus import music_like  # noqa: E402

RESULTS = REPO / "bench" / "results" / "verify.json"
# (label, format, sample rate, bit depth, bitrate, lossless: spectrum checked)
KINDS = (
    ("FLAC 16/44.1", "flac", 44_100, 16, None, True),
    ("FLAC 24/96", "flac", 96_000, 24, None, True),
    ("MP3 320", "mp3", 44_100, 16, 320, False),
    ("Opus 128", "opus", 48_000, 16, 128, False),
)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (fpcalc runs as one)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _timed(run, repeat: int) -> tuple[float, float]:
    """Best (wall, cpu) seconds of `repeat` calls."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu()
        run()
        best = min(best, (time.perf_counter() - wall, _cpu() - cpu))
    return best


def bench(minutes: float, repeat: int, folder: Path) -> dict[str, object]:
    results: dict[str, object] = {}
    for label, fmt, rate, depth, bitrate, lossless in KINDS:
        samples = music_like(minutes * 60, rate, np.random.default_rng(0))
        path = write_pcm(
            folder / f"bench.{fmt}",
            fmt,
            samples,
            sample_rate=rate,
            bit_depth=depth,
            bitrate=bitrate,
        )
        wall, cpu = _timed(lambda p=path, s=lossless: analyse_file(p, spectrum=s), repeat)
        results[label] = {
            "wall_s_per_audio_min": round(wall / minutes, 3),
            "cpu_s_per_audio_min": round(cpu / minutes, 3),
        }
        if label == "FLAC 16/44.1":
            extras = {
                "album gain (FLAC 16/44.1)": lambda p=path: album_loudness([p]),
                # fpcalc reads at most the first 120 s, whatever the track's length.
                "fingerprint (fpcalc, FLAC 16/44.1)": lambda p=path: fingerprint_file(p),
            }
            for name, run in extras.items():
                wall, cpu = _timed(run, repeat)
                results[name] = {
                    "wall_s_per_audio_min": round(wall / minutes, 3),
                    "cpu_s_per_audio_min": round(cpu / minutes, 3),
                }
        path.unlink()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="harmony-verify-bench-") as tmp:
        per_kind = bench(args.minutes, args.repeat, Path(tmp))
    print(f"{'delivery':<28} {'wall s / audio min':>20} {'CPU s / audio min':>20}")
    for label, row in per_kind.items():
        print(f"{label:<28} {row['wall_s_per_audio_min']:>20} {row['cpu_s_per_audio_min']:>20}")
    data = {
        "benchmark": "verify",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "audio_minutes": args.minutes,
        "repeat": args.repeat,
        "per_minute_of_audio": per_kind,
    }
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
