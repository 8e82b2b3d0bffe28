"""The connected user's Spotify library, one page at a time: playlists, saved tracks, artists.

What the "Your Spotify" panel, `GET /api/v1/spotify/library/<kind>` and
`manage.py harmony_spotify library` show. A page is never more than one Spotify request per
`PAGE_MAX` items: a library of thousands of saved tracks is read as the person scrolls, never
in one go. A search filters the pages as they are read; it reads at most `SEARCH_SCAN_PAGES`
pages per answer and hands back the cursor to read on from, so a search for something absent
costs a bounded number of calls per click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from providers.errors import ProviderResponseError
from providers.spotify.client import PAGE_MAX, SpotifyClient
from providers.spotify.normalise import (
    Reader,
    artist_from,
    playlist_from,
    track_from,
)
from providers.spotify.tokens import login_state
from providers.types import Artwork

KINDS = ("playlists", "tracks", "artists")
SEARCH_SCAN_PAGES = 10
_CURSOR = {False: re.compile(r"\d{1,7}"), True: re.compile(r"[0-9A-Za-z]{1,64}")}  # offset | id
_ENDPOINTS = {"playlists": "/me/playlists", "tracks": "/me/tracks", "artists": "/me/following"}


@dataclass(frozen=True)
class LibraryEntry:
    """One row of the panel: what it is, what to show, and the link Harmony acts on."""

    kind: str  # "playlist" | "track" | "artist"
    id: str
    name: str
    detail: str  # owner, artists or genres
    count: int | None  # a playlist's track count
    image: str  # the smallest image at least 64 px wide, or ""
    followable: bool  # False: Spotify will not let this app read it (not owned nor shared)

    @property
    def uri(self) -> str:
        return f"spotify:{self.kind}:{self.id}"


@dataclass(frozen=True)
class LibraryPage:
    kind: str
    entries: list[LibraryEntry]
    total: int | None  # everything of this kind, before any search
    next_cursor: str  # "" at the end; an offset, or the artist cursor of /me/following
    scanned: int  # Spotify items read to build this page


def library_page(
    client: SpotifyClient, kind: str, *, cursor: str = "", limit: int = PAGE_MAX, query: str = ""
) -> LibraryPage:
    """One page of the user's `kind` ("playlists", "tracks", "artists") from `cursor` (PRO)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if cursor and not _CURSOR[kind == "artists"].fullmatch(cursor):
        raise ValueError("cursor: pass on the next_cursor of the page before, unchanged")
    client.require_user(f"reading your {kind}")
    limit = max(1, min(limit, PAGE_MAX))
    words = query.casefold().split()
    me = my_user_id(client) if kind == "playlists" else ""
    entries: list[LibraryEntry] = []
    total, scanned = None, 0
    for _ in range(SEARCH_SCAN_PAGES if words else 1):
        body = client.get(_ENDPOINTS[kind], _params(kind, cursor, limit))
        page, rows = _rows(kind, body, me)
        total = page.get("total") if isinstance(page.get("total"), int) else total
        scanned += len(rows)
        entries += [row for row in rows if _matches(row, words)]
        cursor = _next_cursor(kind, page, cursor, len(rows))
        if not cursor or len(entries) >= limit:
            break
    return LibraryPage(kind, entries, total, cursor, scanned)


def _params(kind: str, cursor: str, limit: int) -> dict[str, Any]:
    if kind == "artists":
        return {"type": "artist", "limit": limit, **({"after": cursor} if cursor else {})}
    return {"limit": limit, "offset": int(cursor or 0)}


def _rows(kind: str, body: Any, me: str) -> tuple[dict[str, Any], list[LibraryEntry]]:
    reader = Reader(f"GET {_ENDPOINTS[kind]}")
    body = reader.obj(body, "page")
    page = reader.obj(body.get("artists"), "artists") if kind == "artists" else body
    items = reader.items(page)
    if kind == "playlists":
        return page, [_playlist_entry(reader, item, me) for item in items]
    if kind == "artists":
        return page, [_artist_entry(reader, item) for item in items]
    rows = []
    for saved in items:
        track = reader.obj(saved, "saved track").get("track")
        if track is None:  # a track Spotify withdrew: nothing to show or fetch
            continue
        meta = track_from(reader, track)
        detail = f"{', '.join(meta.artists)} — {meta.album}" if meta.album else meta.artist
        image = _thumbnail(meta.artwork)
        rows.append(
            LibraryEntry("track", meta.spotify_track_id, meta.title, detail, None, image, True)
        )
    return page, rows


def _playlist_entry(reader: Reader, item: Any, me: str) -> LibraryEntry:
    playlist = playlist_from(reader, item)
    mine = bool(me) and playlist.owner_id == me
    return LibraryEntry(
        kind="playlist",
        id=playlist.id,
        name=playlist.name,
        detail=playlist.owner_name or playlist.owner_id,
        count=playlist.total,
        image=_thumbnail(playlist.artwork),
        # Feb 2026: the items of a playlist are readable only by its owner and collaborators.
        followable=mine or playlist.collaborative,
    )


def _artist_entry(reader: Reader, item: Any) -> LibraryEntry:
    artist = artist_from(reader, item)
    detail = ", ".join(artist.genres[:3])
    return LibraryEntry(
        "artist", artist.id, artist.name, detail, None, _thumbnail(artist.artwork), True
    )


def _next_cursor(kind: str, page: dict[str, Any], cursor: str, read: int) -> str:
    if not page.get("next"):
        return ""
    if kind == "artists":
        after = (page.get("cursors") or {}).get("after")
        if not isinstance(after, str) or not after:
            raise ProviderResponseError(
                "'cursors.after' missing on a page with a next page",
                provider="spotify",
                endpoint="GET /me/following",
            )
        return after
    return str(int(cursor or 0) + read)


def _matches(entry: LibraryEntry, words: list[str]) -> bool:
    text = f"{entry.name} {entry.detail}".casefold()
    return all(word in text for word in words)


def _thumbnail(artwork: tuple[Artwork, ...]) -> str:
    """The smallest image still 64 px wide (sizes may be null: then the last one listed)."""
    sized = [art for art in artwork if (art.width or 0) >= 64]
    if sized:
        return min(sized, key=lambda art: art.width or 0).url
    return artwork[-1].url if artwork else ""


def my_user_id(client: SpotifyClient) -> str:
    """The connected user's id, as stored at login (one /me call if it is not yet known)."""
    row = login_state()
    if row is not None and row.spotify_user_id:
        return row.spotify_user_id
    return client.me()["id"]
