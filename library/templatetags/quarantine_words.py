"""`{% load quarantine_words %}`: a quarantine reason code as a sentence."""

from __future__ import annotations

from django import template

from library.quarantine import reason_text

register = template.Library()


@register.filter
def quarantine_reason(code: str) -> str:
    return reason_text(code)
