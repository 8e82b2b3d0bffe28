"""Spotify Web API client: every read Harmony makes, normalised to `TrackMeta` and friends.

Built on the shared HTTP layer (timeouts, 5xx backoff, 429 `Retry-After`). On top of it:
a 401 renews the token once and retries once, then the login "needs re-login"; a 403 is final
and explained; lists are paged to the end by following `next` verbatim, at each endpoint's
development-mode maximum. Endpoints are the post-February-2026 set (`provider-apis.md` §2).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from providers.errors import ProviderAuthError, ProviderError, ProviderNotConfigured
from providers.http import HttpClient
from providers.spotify.auth import AppTokenSource, TokenSource, UserTokenSource
from providers.spotify.config import SpotifyConfig, load_spotify_config, resolve_mode
from providers.spotify.links import InvalidSpotifyLink, SpotifyRef, local_track_meta
from providers.spotify.normalise import (
    AlbumInfo,
    ArtistInfo,
    PlaylistInfo,
    PlaylistRead,
    Reader,
    Skipped,
    album_from,
    artist_from,
    playlist_from,
    track_from,
)
from providers.spotify.tokens import load_tokens, record_login_problem
from providers.types import TrackMeta

logger = logging.getLogger("hdm.spotify")

_ID = re.compile(r"[0-9A-Za-z]{22}")

PAGE_MAX = 50
SEARCH_MAX = 10
ARTIST_ALBUMS_MAX = 10
MAX_PAGES = 2000  # 100,000 items at 50 a page: a guard against a `next` loop, not a limit
PLAYLIST_READ_PASSES = 3
DEFAULT_GROUPS = ("album", "single", "compilation")
PLAYLIST_FIELDS = (
    "id,name,owner(id,display_name),snapshot_id,collaborative,public,items(total),tracks(total)"
)

_FORBIDDEN_HELP = (
    "Spotify refused this call (403). In development mode only users allow-listed in the app's "
    "dashboard (User Management) may call the API, the app owner needs Premium, and some "
    "endpoints are not available to development-mode apps"
)
_PLAYLIST_HELP = (
    "Spotify refused to list this playlist's tracks: since February 2026 apps in development "
    "mode may read only playlists the connected account owns or collaborates on. Copy the "
    "tracks into a playlist of your own, or paste them as a text list or an Exportify CSV."
)
FREE_PLAYLIST_HELP = (
    "Reading a playlist's tracks needs a connected Spotify account: in FREE mode Spotify lets "
    "Harmony read no playlist's tracks, not even your own. Connect your account on the Spotify "
    "page (PRO mode), or paste the tracks as a text list or an Exportify CSV."
)


class _TokenRejected(Exception):
    def __init__(self, error: ProviderAuthError) -> None:
        self.error = error
        super().__init__(error.message)


class SpotifyClient:
    """All Spotify reads. Build with `from_config()`; tests pass their own `tokens`."""

    def __init__(
        self,
        *,
        api_url: str,
        tokens: TokenSource,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        max_retries: int = 3,
        max_retry_after: float = 60.0,
        market: str = "",
        fetch_isrc: bool = True,
        http: HttpClient | None = None,
    ) -> None:
        self.tokens = tokens
        self.market = market
        self.fetch_isrc = fetch_isrc
        self.http = http or HttpClient(
            api_url,
            name="spotify",
            header_provider=self._auth_header,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
        )
        self._token: str | None = None

    @classmethod
    def from_config(cls, config: SpotifyConfig | None = None) -> SpotifyClient:
        """A client for the configured mode; raises ProviderNotConfigured when Spotify is off."""
        config = config or load_spotify_config()
        mode = resolve_mode(config, user_connected=load_tokens() is not None)
        if mode == "disabled":
            raise ProviderNotConfigured(
                "Spotify is not configured: set SPOTIFY_CLIENT_ID", provider="spotify"
            )
        tokens: TokenSource = UserTokenSource(config) if mode == "pro" else AppTokenSource(config)
        return cls(
            api_url=config.api_url,
            tokens=tokens,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            max_retries=config.max_retries,
            max_retry_after=config.max_retry_after,
            market=config.market if mode == "free" else "",
            fetch_isrc=config.fetch_isrc,
        )

    @property
    def mode(self) -> str:
        return self.tokens.mode

    # -- transport -----------------------------------------------------------------------------
    def _auth_header(self) -> dict[str, str]:
        self._token = self.tokens.access_token()
        return {"Authorization": f"Bearer {self._token}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET one endpoint (or an absolute `next` URL) as JSON, with the 401/403 policy."""
        try:
            return self._get_once(path, params)
        except _TokenRejected:
            logger.info("hdm.spotify.token_rejected", extra={"endpoint": _path_of(path)})
            self.tokens.renew(self._token or "")
        try:
            return self._get_once(path, params)
        except _TokenRejected as exc:
            message = "Spotify refused a freshly renewed token: log in again"
            if self.mode == "pro":
                record_login_problem(error=message, needs_relogin=True)
            raise ProviderAuthError(message, **_where(exc.error)) from exc.error

    def _get_once(self, path: str, params: dict[str, Any] | None) -> Any:
        try:
            return self.http.get_json(path, params=params)
        except ProviderAuthError as exc:
            if exc.status == 401:
                raise _TokenRejected(exc) from exc
            if exc.status == 403:
                raise ProviderAuthError(
                    f"{_FORBIDDEN_HELP} ({exc.message})", **_where(exc)
                ) from exc
            raise

    def _pages(self, path: str, params: dict[str, Any], *, wrap: str | None = None) -> Iterator:
        """Every item of an offset- or cursor-paged list, following `next` verbatim."""
        url: str | None = path
        for _ in range(MAX_PAGES):
            if url is None:
                return
            body = self.get(url, params if url == path else None)
            reader = Reader(f"GET {path}")
            page = reader.obj(body.get(wrap) if wrap and isinstance(body, dict) else body, "page")
            yield from reader.items(page)
            url = page.get("next") or None
            if url is not None and not isinstance(url, str):
                raise reader.fail("'next' is not a URL")
        raise Reader(f"GET {path}").fail(f"more than {MAX_PAGES} pages; giving up")

    def _catalogue_params(self, **params: Any) -> dict[str, Any]:
        # App-only tokens have no country: Spotify wants a market to decide availability.
        return {**params, "market": self.market} if self.market else params

    # -- user ---------------------------------------------------------------------------------
    def require_user(self, what: str) -> None:
        if self.mode != "pro":
            raise ProviderAuthError(
                f"{what} needs PRO mode (a connected Spotify account); FREE mode reads only "
                "tracks, albums and artists",
                provider="spotify",
            )

    def me(self) -> dict[str, str]:
        """The connected user: id, display_name, account_id (PRO only)."""
        self.require_user("reading the account")
        body = Reader("GET /me").obj(self.get("/me"), "user")
        reader = Reader("GET /me")
        return {
            "id": reader.text(body, "id"),
            "display_name": reader.text(body, "display_name", required=False),
            "account_id": reader.text(body, "account_id", required=False),
        }

    # -- catalogue ----------------------------------------------------------------------------
    def track(self, track_id: str) -> TrackMeta:
        path = f"/tracks/{_checked(track_id)}"
        return track_from(Reader(f"GET {path}"), self.get(path, self._catalogue_params()))

    def album(self, album_id: str) -> AlbumInfo:
        path = f"/albums/{_checked(album_id)}"
        return album_from(Reader(f"GET {path}"), self.get(path, self._catalogue_params()))

    def album_tracks(self, album_id: str, *, fetch_isrc: bool | None = None) -> list[TrackMeta]:
        """Every track of an album with album metadata, per-disc totals and (optionally) ISRCs.

        Album track lists are simplified (no ISRC); with `fetch_isrc` each track is fetched
        singly, because the batch `/tracks?ids=` endpoint was removed in February 2026.
        """
        album = self.album(album_id)
        path = f"/albums/{_checked(album_id)}/tracks"
        reader = Reader(f"GET {path}")
        params = self._catalogue_params(limit=PAGE_MAX)
        raw = [reader.obj(item, "track") for item in self._pages(path, params)]
        per_disc: dict[int, int] = {}
        for item in raw:
            disc = reader.integer(item, "disc_number") or 1
            per_disc[disc] = per_disc.get(disc, 0) + 1
        want_isrc = self.fetch_isrc if fetch_isrc is None else fetch_isrc
        tracks = []
        for item in raw:
            disc = reader.integer(item, "disc_number") or 1
            isrc = self._isrc_of(item) if want_isrc else ""
            totals = {"track_total": per_disc[disc], "disc_total": max(per_disc)}
            tracks.append(track_from(reader, item, album=album, isrc=isrc, **totals))
        return tracks

    def _isrc_of(self, item: dict[str, Any]) -> str:
        track_id = item.get("id")
        if not isinstance(track_id, str) or not track_id:
            return ""
        return self.track(track_id).isrc

    def artist(self, artist_id: str) -> ArtistInfo:
        path = f"/artists/{_checked(artist_id)}"
        return artist_from(Reader(f"GET {path}"), self.get(path))

    def artist_albums(
        self,
        artist_id: str,
        *,
        include_groups: tuple[str, ...] = DEFAULT_GROUPS,
        limit: int = ARTIST_ALBUMS_MAX,
    ) -> list[AlbumInfo]:
        """Every release of an artist in `include_groups`, paged at the dev-mode maximum of 10."""
        path = f"/artists/{_checked(artist_id)}/albums"
        params = self._catalogue_params(
            include_groups=",".join(include_groups), limit=min(limit, ARTIST_ALBUMS_MAX)
        )
        reader = Reader(f"GET {path}")
        return [album_from(reader, item) for item in self._pages(path, params)]

    def search(self, query: str, type: str = "track", limit: int = SEARCH_MAX) -> list[TrackMeta]:  # noqa: A002
        """One page of track search results (at most 10 since February 2026)."""
        if type != "track":
            raise ValueError("Harmony searches tracks only")
        params = self._catalogue_params(q=query, type="track", limit=max(1, min(limit, SEARCH_MAX)))
        body = self.get("/search", params)
        reader = Reader("GET /search")
        page = reader.obj(reader.obj(body, "search").get("tracks"), "tracks")
        return [track_from(reader, item) for item in reader.items(page)]

    # -- the user's library (PRO) -----------------------------------------------------------------
    def saved_tracks(self) -> list[TrackMeta]:
        """Every saved ("liked") track, newest first (PRO only)."""
        self.require_user("reading saved tracks")
        reader = Reader("GET /me/tracks")
        entries = self._pages("/me/tracks", {"limit": PAGE_MAX})
        return [track_from(reader, reader.obj(e, "saved track").get("track")) for e in entries]

    def followed_artists(self) -> list[ArtistInfo]:
        """Every followed artist, by cursor paging (`after`) (PRO only)."""
        self.require_user("reading followed artists")
        reader = Reader("GET /me/following")
        params = {"type": "artist", "limit": PAGE_MAX}
        pages = self._pages("/me/following", params, wrap="artists")
        return [artist_from(reader, item) for item in pages]

    def my_playlists(self) -> list[PlaylistInfo]:
        """The user's own, collaborative and followed playlists (PRO only)."""
        self.require_user("reading your playlists")
        reader = Reader("GET /me/playlists")
        return [playlist_from(reader, p) for p in self._pages("/me/playlists", {"limit": PAGE_MAX})]

    # -- playlists ----------------------------------------------------------------------------
    def playlist(self, playlist_id: str) -> PlaylistInfo:
        path = f"/playlists/{_checked(playlist_id)}"
        params = self._catalogue_params(fields=PLAYLIST_FIELDS)
        return playlist_from(Reader(f"GET {path}"), self.get(path, params))

    def playlist_items(self, playlist_id: str) -> PlaylistRead:
        """Every wanted track of a playlist, read consistently.

        The snapshot id is compared before and after paging; if the playlist changed while it
        was read (offsets shift) it is read again, up to three passes. Null items and episodes
        are skipped with a reason; local files become text-only wanted tracks.
        """
        before = self.playlist(playlist_id)
        for _ in range(PLAYLIST_READ_PASSES):
            read = self._read_items(before)
            after = self.playlist(playlist_id)
            if after.snapshot_id == before.snapshot_id:
                return read
            logger.info("hdm.spotify.playlist_changed", extra={"playlist_id": playlist_id})
            before = after
        read.changed = True
        return read

    def playlist_tracks(self, playlist_id: str) -> list[TrackMeta]:
        return self.playlist_items(playlist_id).tracks

    def _read_items(self, playlist: PlaylistInfo) -> PlaylistRead:
        path = f"/playlists/{_checked(playlist.id)}/items"
        params = self._catalogue_params(limit=PAGE_MAX, additional_types="track,episode")
        read = PlaylistRead(playlist=playlist)
        reader = Reader(f"GET {path}")
        try:
            for position, entry in enumerate(self._pages(path, params)):
                _add_entry(read, reader, position, entry)
        except ProviderAuthError as exc:
            if exc.status == 403:
                advice = _PLAYLIST_HELP if self.mode == "pro" else FREE_PLAYLIST_HELP
                raise ProviderAuthError(advice, **_where(exc)) from exc
            raise
        return read

    # -- links --------------------------------------------------------------------------------
    def resolve(self, ref: SpotifyRef) -> list[TrackMeta]:
        """The tracks a pasted link stands for (an artist: every track of its releases)."""
        if ref.kind == "local":
            return [local_track_meta(ref)]
        if ref.kind == "track":
            return [self.track(ref.id)]
        if ref.kind == "album":
            return self.album_tracks(ref.id)
        if ref.kind == "playlist":
            return self.playlist_tracks(ref.id)
        if ref.kind == "artist":
            albums = self.artist_albums(ref.id, include_groups=("album", "single"))
            return [t for album in albums for t in self.album_tracks(album.id)]
        raise InvalidSpotifyLink(f"cannot resolve a {ref.kind} reference")


def _add_entry(read: PlaylistRead, reader: Reader, position: int, entry: Any) -> None:
    entry = reader.obj(entry, "playlist entry")
    # Feb 2026 renamed `track` → `item`; `track` is still sent (deprecated).
    item = entry["item"] if "item" in entry else entry.get("track")
    if item is None:
        read.skipped.append(Skipped(position, "null_item", "Spotify returned an empty entry"))
        return
    item = reader.obj(item, "playlist item")
    if item.get("type") == "episode":
        read.skipped.append(Skipped(position, "episode", str(item.get("name") or "")))
        return
    if entry.get("is_local") or item.get("is_local"):
        local = _local_track(item)
        if local.title:
            read.tracks.append(local)
        else:
            read.skipped.append(Skipped(position, "local_without_title", str(item.get("uri"))))
        return
    try:
        read.tracks.append(track_from(reader, item))
    except ProviderError as exc:
        read.skipped.append(Skipped(position, "malformed", exc.message))


def _local_track(item: dict[str, Any]) -> TrackMeta:
    """A local file from its URI (`spotify:local:…`), else from the names Spotify sent."""
    uri = item.get("uri")
    if isinstance(uri, str):
        try:
            return local_track_meta(uri)
        except InvalidSpotifyLink:
            pass
    artists = tuple(a.get("name") for a in item.get("artists") or [] if isinstance(a, dict))
    return TrackMeta(
        title=str(item.get("name") or ""),
        artists=tuple(a for a in artists if isinstance(a, str) and a),
        duration_ms=item.get("duration_ms") if isinstance(item.get("duration_ms"), int) else None,
    )


def _checked(spotify_id: str) -> str:
    """Ids go into URL paths: only a real base-62 id may (never `../me` or a query)."""
    if not isinstance(spotify_id, str) or not _ID.fullmatch(spotify_id):
        raise InvalidSpotifyLink(f"{str(spotify_id)[:40]!r} is not a Spotify id")
    return spotify_id


def _path_of(path: str) -> str:
    return path.split("?", 1)[0]


def _where(exc: ProviderError) -> dict[str, Any]:
    return {"provider": exc.provider, "endpoint": exc.endpoint, "status": exc.status}
