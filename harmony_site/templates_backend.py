"""Django templates whose output is always valid UTF-8.

A page showing text stored by an older version (a file name that was not valid UTF-8, kept
with lone surrogates) would otherwise fail with a 500 when the response is encoded.
"""

from __future__ import annotations

from typing import Any

from django.template.backends.django import DjangoTemplates
from django.utils.safestring import SafeString, mark_safe

from harmony_site.text import escape_undecodable


class HarmonyTemplates(DjangoTemplates):
    def from_string(self, template_code: str) -> Utf8Template:
        return Utf8Template(super().from_string(template_code))

    def get_template(self, template_name: str) -> Utf8Template:
        return Utf8Template(super().get_template(template_name))


class Utf8Template:
    """A backend template whose rendered text has every lone surrogate escaped."""

    def __init__(self, template: Any) -> None:
        self._template = template

    def __getattr__(self, name: str) -> Any:  # origin, template: as the wrapped one
        return getattr(self._template, name)

    def render(self, context: dict[str, Any] | None = None, request: Any = None) -> SafeString:
        # Escaping only replaces lone surrogates, so the markup stays as safe as it was.
        return mark_safe(escape_undecodable(self._template.render(context, request)))  # noqa: S308
