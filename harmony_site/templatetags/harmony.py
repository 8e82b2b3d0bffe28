"""Template filters of the UI (`{% load harmony %}`)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(milliseconds: int | float | None) -> str:
    """3725000 → "1:02:05", 215000 → "3:35"; empty for an unknown length."""
    if milliseconds is None or milliseconds == "":
        return ""
    seconds = round(float(milliseconds) / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


@register.filter
def khz(hertz: int | None) -> str:
    """44100 → "44.1 kHz", 48000 → "48 kHz"; empty when unknown."""
    if not hertz:
        return ""
    return f"{hertz / 1000:g} kHz"
