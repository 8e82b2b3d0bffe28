"""Errors raised while reading or tagging a file; both carry a machine-readable code."""

from __future__ import annotations


class UnreadableAudio(Exception):
    """The file cannot be read as audio. `code`: missing | unsupported | corrupt | wrong_format."""

    def __init__(self, reason: str, *, code: str = "corrupt") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TaggingError(Exception):
    """The file could not be tagged (corrupt or unsupported); the caller quarantines it."""

    def __init__(self, reason: str, *, code: str = "corrupt") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
