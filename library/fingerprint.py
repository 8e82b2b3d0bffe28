"""Chromaprint fingerprints with Debian's `fpcalc`, and same-recording matching between them.

`fpcalc` (package `libchromaprint-tools`) is optional: without it fingerprints are skipped with
one warning per process, and every other check still runs. The raw fingerprint (one 32-bit
word per ~0.124 s of audio) is stored to find copies of the same recording whatever their tags;
the compressed form is what AcoustID looks up.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger("hdm.verify")

FPCALC_TIMEOUT_S = 120
LENGTH_S = 120  # fpcalc's default: the first two minutes identify a recording
MAX_OFFSET = 40  # words (~5 s) of misalignment tried between two fingerprints
MIN_OVERLAP = 0.5  # share of the shorter fingerprint that must overlap
SAME_RECORDING = 0.85  # share of equal bits at the best alignment; unrelated audio is ~0.5


@dataclass(frozen=True)
class Fingerprint:
    duration_s: float
    raw: np.ndarray  # uint32 words
    compressed: str  # empty unless asked for (AcoustID)

    def stored(self) -> str:
        """The raw words as base64, the form kept on LibraryFile.fingerprint."""
        return base64.b64encode(self.raw.astype("<u4").tobytes()).decode()


class FingerprintError(Exception):
    """fpcalc failed on this file; `detail` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@functools.cache
def fpcalc_path() -> str | None:
    """Where fpcalc is, or None (warned about once per process)."""
    found = shutil.which("fpcalc")
    if found is None:
        logger.warning(
            "hdm.verify.fpcalc_missing",
            extra={"detail": "install libchromaprint-tools for acoustic fingerprints"},
        )
    return found


def fingerprint_file(path: Path, *, compressed: bool = False) -> Fingerprint | None:
    """The file's fingerprint, or None without fpcalc; raises FingerprintError when it fails."""
    binary = fpcalc_path()
    if binary is None:
        return None
    raw = _fpcalc(binary, path, "-raw")
    packed = _fpcalc(binary, path)["fingerprint"] if compressed else ""
    words = np.asarray(raw["fingerprint"], dtype=np.uint32)
    return Fingerprint(float(raw["duration"]), words, packed)


def _fpcalc(binary: str, path: Path, *flags: str) -> dict:
    command = [binary, "-json", "-length", str(LENGTH_S), *flags, str(path)]
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=FPCALC_TIMEOUT_S, check=False, text=True
        )
        # fpcalc reports a damaged tail on stderr yet still prints a usable fingerprint.
        answer = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        raise FingerprintError(f"fpcalc failed on {path.name}: {exc}") from None
    if not answer.get("fingerprint"):
        raise FingerprintError(f"fpcalc found no audio in {path.name}: {done.stderr.strip()}")
    return answer


def load_stored(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<u4").astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal bits between two raw fingerprints at their best alignment (0..1)."""
    if a.size == 0 or b.size == 0:
        return 0.0
    shortest = min(a.size, b.size)
    best = 0.0
    for offset in range(-MAX_OFFSET, MAX_OFFSET + 1):
        x, y = (a[offset:], b) if offset >= 0 else (a, b[-offset:])
        n = min(x.size, y.size)
        if n < shortest * MIN_OVERLAP:
            continue
        differing = int(np.bitwise_count(x[:n] ^ y[:n]).sum())
        best = max(best, 1.0 - differing / (32 * n))
    return best
