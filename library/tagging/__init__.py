"""Read stream info and tags from audio files, and write Harmony's tags into them.

Entry points: `read_audio(path) -> AudioInfo` and `tag_file(path, meta, ...)`. The per-format
conventions (which frame, atom or comment holds which field) live in `_id3`, `_mp4` and
`_vorbis` and are tabled in docs/library.md.
"""

from __future__ import annotations

from library.tagging.errors import TaggingError, UnreadableAudio
from library.tagging.reading import AudioInfo, ParsedAudio, parse_audio, read_audio
from library.tagging.writing import TagOptions, TagResult, tag_file, tag_parsed

__all__ = [
    "AudioInfo",
    "ParsedAudio",
    "TagOptions",
    "TagResult",
    "TaggingError",
    "UnreadableAudio",
    "parse_audio",
    "read_audio",
    "tag_file",
    "tag_parsed",
]
