"""Text UTF-8 can hold, made from names the file system gave us.

Python decodes a file name that is not valid UTF-8 with `surrogateescape` (PEP 383): each
undecodable byte becomes a lone surrogate U+DC80..U+DCFF, which no database, JSON answer or
web page can encode. These helpers turn such text into plain UTF-8.
"""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def has_undecodable(text: str) -> bool:
    return _LONE_SURROGATE.search(text) is not None


def escape_undecodable(text: str) -> str:
    """Each undecodable byte as `%XX` (a PEP 383 surrogate) and any other lone surrogate as
    U+FFFD: readable, and nothing else in the text changes."""
    return _LONE_SURROGATE.sub(_escape, text)


def reversible_name(name: str) -> str:
    """A file name that is not valid UTF-8 as a valid one, reversibly: undecodable bytes become
    `%XX` and a literal `%` becomes `%25`, so `urllib.parse.unquote_to_bytes` gives the
    original bytes back. A name that is valid UTF-8 is returned unchanged."""
    if not has_undecodable(name):
        return name
    return escape_undecodable(name.replace("%", "%25"))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"%{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"
