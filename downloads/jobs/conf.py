"""The HDM's knobs, read from `settings.HDM` (the Downloads section of harmony_site/config.py).

Reading through settings rather than `get_config()` lets a test override one knob with the
pytest-django `settings` fixture.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def knob(name: str) -> Any:
    """The current value of one Downloads knob (KeyError for an undeclared name)."""
    return settings.HDM[name]
