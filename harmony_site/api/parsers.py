"""The API's JSON parser: DRF's, with a nesting limit.

No Harmony endpoint takes more than a few levels; a body nested a thousand levels deep (about
2 KB) would exhaust Python's recursion limit in the decoder or in whatever walks the data
next (serializers, the idempotency hash) and end as a 500. It is a client error: 400.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32


def _too_deep(data: Any, limit: int) -> bool:
    # Iterative, so the check itself cannot hit the recursion limit.
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """`application/json` bodies nested at most `MAX_JSON_DEPTH` levels."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        message = f"JSON parse error: nested deeper than {MAX_JSON_DEPTH} levels."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(message) from None
        if _too_deep(data, MAX_JSON_DEPTH):
            raise ParseError(message)
        return data
