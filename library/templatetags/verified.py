"""Template filters for Verified audio: a file's evidence in words."""

from __future__ import annotations

from typing import Any

from django import template

from library.verification import describe

register = template.Library()

FLAG_WORDS = {
    "lossy_cutoff": "lossy source",
    "upsampled": "upsampled",
    "silence": "mostly silent",
    "clipping": "clipped",
    "undecodable": "undecodable",
    "unreadable": "unreadable",
    "missing": "missing on disk",
}


@register.filter
def evidence(analysis: dict[str, Any]) -> list[tuple[str, str]]:
    return describe(analysis or {})


@register.filter
def flag_words(analysis: dict[str, Any]) -> str:
    return ", ".join(FLAG_WORDS.get(flag, flag) for flag in (analysis or {}).get("flags", []))
