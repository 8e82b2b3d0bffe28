"""The spectrogram thumbnail stored with a file's evidence, drawn as a small PNG."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image, ImageOps

from library.analysis.spectrum import THUMB_ROWS

SCALE = 3  # each stored cell becomes SCALE x SCALE pixels


def spectrogram_png(thumbnail: str) -> bytes | None:
    """PNG of a stored thumbnail (time left to right, frequency upwards); None when empty."""
    if not thumbnail:
        return None
    levels = np.frombuffer(base64.b64decode(thumbnail), dtype=np.uint8)
    if levels.size == 0 or levels.size % THUMB_ROWS:
        return None
    grid = np.flipud(levels.reshape(THUMB_ROWS, -1))  # row 0 is the lowest band
    image = Image.fromarray(np.ascontiguousarray(grid), mode="L")
    image = image.resize((image.width * SCALE, image.height * SCALE), Image.Resampling.NEAREST)
    coloured = ImageOps.colorize(image, black="#000010", mid="#b0306a", white="#fff3a0")
    out = io.BytesIO()
    coloured.save(out, "PNG", optimize=True)
    return out.getvalue()
