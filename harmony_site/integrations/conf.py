"""The integrations' knobs, read from `settings.INTEGRATIONS` (the Integrations section of
harmony_site/config.py) so a test can override one with the pytest-django `settings` fixture."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def knob(name: str) -> Any:
    """The current value of one Integrations knob (KeyError for an undeclared name)."""
    return settings.INTEGRATIONS[name]
