"""Builders for slskd JSON as slskd writes it (provider-apis.md 1.3): camelCase, nulls omitted.

`peer_file(...)` and `peer_response(...)` build search results; `sample_responses(artist,
title)` returns a realistic set that also carries the hostile cases a client must survive
(omitted attributes, empty extension, backslash and slash paths, non-ASCII, locked files and a
`..` traversal path).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

_tokens = itertools.count(1000)


def peer_file(
    filename: str,
    size: int,
    *,
    extension: str | None = None,
    bit_rate: int | None = None,
    bit_depth: int | None = None,
    sample_rate: int | None = None,
    length: int | None = None,
    is_variable_bit_rate: bool | None = None,
) -> dict[str, Any]:
    """One File object; attributes left None are omitted, as slskd omits them."""
    if extension is None:
        extension = filename.rsplit(".", 1)[-1] if "." in filename else ""
    data: dict[str, Any] = {
        "code": 1,
        "extension": extension,
        "filename": filename,
        "size": size,
        "isLocked": False,  # slskd never sets it; lockedFiles membership is what counts
    }
    optional = {
        "bitRate": bit_rate,
        "bitDepth": bit_depth,
        "sampleRate": sample_rate,
        "length": length,
        "isVariableBitRate": is_variable_bit_rate,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return data


def peer_response(
    username: str,
    files: list[dict[str, Any]],
    *,
    locked: list[dict[str, Any]] | None = None,
    has_free_upload_slot: bool = True,
    upload_speed: int = 1_500_000,
    queue_length: int = 0,
) -> dict[str, Any]:
    locked = locked or []
    return {
        "fileCount": len(files),
        "files": files,
        "hasFreeUploadSlot": has_free_upload_slot,
        "lockedFileCount": len(locked),
        "lockedFiles": locked,
        "queueLength": queue_length,
        "token": next(_tokens),
        "uploadSpeed": upload_speed,
        "username": username,
    }


def sample_responses(artist: str = "Artist", title: str = "Title") -> list[dict[str, Any]]:
    """A realistic result set for "<artist> <title>" including every hostile shape."""
    album = f"{artist} - Album (2001) [FLAC]"
    return [
        peer_response(
            "flac_lover",
            [
                peer_file(
                    f"@@music\\{artist}\\{album}\\01 - {title}.flac",
                    2_400_000,
                    bit_depth=16,
                    sample_rate=44100,
                    length=215,
                )
            ],
        ),
        peer_response(
            "mp3 fan/ünïcødé",  # needs percent-encoding in paths
            [
                peer_file(
                    f"@@share\\Müsik\\{artist}\\{title} (320).mp3",
                    800_000,
                    bit_rate=320,
                    length=214,
                    is_variable_bit_rate=False,
                ),
                # no attributes at all and an empty extension: derive from the filename
                peer_file(f"@@share\\Müsik\\{artist}\\{title}.MP3", 700_000, extension=""),
            ],
            upload_speed=300_000,
            queue_length=4,
        ),
        peer_response(
            "slash_user",
            [peer_file(f"/home/me/music/{artist}/{title}.ogg", 500_000, length=215)],
            has_free_upload_slot=False,
            queue_length=60,
        ),
        peer_response(
            "locker",
            [],
            locked=[peer_file(f"@@priv\\{artist}\\{title}.flac", 2_500_000)],
        ),
        peer_response(
            "sneaky",
            [peer_file(f"@@x\\..\\..\\{title}.flac", 2_400_000, length=215)],
        ),
    ]


def dotnet_time(moment: datetime, *, utc_suffix: bool = True) -> str:
    """ISO time with .NET's 7 fraction digits; `utc_suffix=False` mimics times slskd reads
    back from its database (requestedAt, enqueuedAt) which carry no offset."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"
    return text + "Z" if utc_suffix else text


def timespan(delta: timedelta) -> str:
    """.NET TimeSpan text: `00:01:02.5000000`, with a `d.` day prefix past 24 hours."""
    total = delta.total_seconds()
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{int(hours):02d}:{int(minutes):02d}:{seconds:010.7f}"
    return f"{int(days)}.{text}" if days else text
