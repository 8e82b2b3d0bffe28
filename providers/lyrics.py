"""Lyrics for a track from LRCLIB: plain text and/or time-synced LRC text.

Optional metadata: `fetch_lyrics` never raises into a download. It returns None when lyrics are
switched off (`LYRICS_ENABLED`), not found, instrumental, or when LRCLIB fails — the failure is
logged as `hdm.metadata.lyrics_failed`; callers that want to retry later pass
`raise_errors=True` and get the `ProviderError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from harmony_site.config import knobs
from harmony_site.version import __version__
from providers.errors import ProviderError, ProviderNotFound, ProviderResponseError
from providers.http import HttpClient
from providers.types import TrackMeta

logger = logging.getLogger("hdm.metadata")

CLIENT_NAME = f"Harmony {__version__}"


@dataclass(frozen=True)
class Lyrics:
    plain: str | None = None
    synced: str | None = None  # LRC: "[mm:ss.xx] line" per line


def fetch_lyrics(
    meta: TrackMeta, *, raise_errors: bool = False, http: HttpClient | None = None
) -> Lyrics | None:
    """Plain and synced lyrics for `meta` from LRCLIB, or None (see the module docstring)."""
    config = knobs()
    if not config["LYRICS_ENABLED"] or not meta.title or not meta.artist:
        return None
    http = http or lrclib_http()
    try:
        body = http.get_json("/api/get", params=lrclib_query(meta))
        lyrics = _lyrics_from(body)
    except ProviderNotFound:
        logger.info("hdm.metadata.lyrics_not_found", extra={"title": meta.title})
        return None
    except ProviderError as exc:
        logger.warning(
            "hdm.metadata.lyrics_failed", extra={"title": meta.title, "error": exc.message}
        )
        if raise_errors:
            raise
        return None
    logger.info(
        "hdm.metadata.lyrics_found",
        extra={"title": meta.title, "synced": bool(lyrics and lyrics.synced)},
    )
    return lyrics


def lrclib_http() -> HttpClient:
    config = knobs()
    timeout = config["LYRICS_TIMEOUT"]
    # LRCLIB asks clients to identify themselves.
    headers = {"User-Agent": CLIENT_NAME, "Lrclib-Client": CLIENT_NAME}
    return HttpClient(
        config["LYRICS_URL"], name="lrclib", headers=headers, connect_timeout=timeout,
        read_timeout=timeout, max_retries=1, max_retry_after=10,
    )  # fmt: skip


def lrclib_query(meta: TrackMeta) -> dict[str, str]:
    """All four parameters LRCLIB matches on (album and duration only when known)."""
    query = {"track_name": meta.title, "artist_name": meta.artist}
    if meta.album:
        query["album_name"] = meta.album
    seconds = round(meta.duration_s) if meta.duration_s is not None else None
    if seconds is not None and 1 <= seconds <= 3600:
        query["duration"] = str(seconds)
    return query


def _lyrics_from(body: Any) -> Lyrics | None:
    if not isinstance(body, dict):
        raise ProviderResponseError("answer is not an object", provider="lrclib",
                                    endpoint="GET /api/get")  # fmt: skip
    plain, synced = body.get("plainLyrics"), body.get("syncedLyrics")
    plain = plain if isinstance(plain, str) and plain.strip() else None
    synced = synced if isinstance(synced, str) and synced.strip() else None
    if body.get("instrumental") or (plain is None and synced is None):
        return None
    return Lyrics(plain=plain, synced=synced)
