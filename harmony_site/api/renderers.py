"""The API's JSON renderer."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer


class HarmonyJSONRenderer(JSONRenderer):
    """DRF's JSON renderer (UTF-8), except that text UTF-8 cannot hold (a lone surrogate, from
    a file name that was not valid UTF-8, stored by an older version) never fails a response:
    that answer is written as ASCII JSON, where such a character travels as a \\u escape."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(data, accepted_media_type, renderer_context)


class _AsciiJSONRenderer(JSONRenderer):
    ensure_ascii = True
