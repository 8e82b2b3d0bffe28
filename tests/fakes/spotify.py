"""A faithful fake of Spotify's accounts service and Web API on one loopback server.

Follows `provider-apis.md` §2 and §4.2, not Harmony's client:

- accounts: ``GET /authorize`` redirects with ``code`` + echoed ``state`` (or
  ``error=access_denied`` when `consent` is ``"deny"``); ``POST /api/token`` enforces form
  encoding, the exact registered ``redirect_uri``, single-use codes, the S256 verifier, Basic auth
  vs PKCE ``client_id``, refresh with or without a new refresh token (`rotate_refresh_tokens`),
  ``invalid_grant``/``invalid_client`` and ``client_credentials``; ``expires_in`` is configurable
  and the clock can be moved (`advance`) instead of sleeping;
- API under ``/v1``: 401 for missing/expired tokens, 403 for users not allow-listed, for items of a
  playlist the user neither owns nor collaborates on, for removed endpoints and missing scopes;
  404 unknown ids; 400 "Invalid limit" above each maximum; offset paging with absolute
  ``next``/``previous``; cursor paging on ``/me/following``; a playlist that changes between
  pages (new ``snapshot_id``); optional random 5xx (`flaky_rate`).

Script failures with `rate_limit(...)` / `server_error(...)` (one-shot replies in front of a
route), then read `requests` (every request with its monotonic arrival time) to check what the
client did, e.g. `gap_after_429("/v1/tracks/.*")`.

Run by hand: ``python -m tests.fakes.spotify --port 9090`` prints the URLs, client id/secret and
the scenario ids. As fixtures: ``fake_spotify`` (a started server) and ``spotify_env`` (also
points Harmony's SPOTIFY_* knobs at it).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import os
import random
import re
import secrets
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from tests.fakes.base import FakeServer, Reply, Request
from tests.fakes.spotify_data import USER, Catalogue, add_generated_playlist, default_catalogue

CLIENT_ID = "fakeclientid0123456789abcdef0123"
CLIENT_SECRET = "fakeclientsecret0123456789abcdef"
REDIRECT_URI = "http://127.0.0.1:8888/callback"
ALL_SCOPES = frozenset(
    {
        "playlist-read-private",
        "playlist-read-collaborative",
        "user-library-read",
        "user-follow-read",
    }
)
_ID = r"(?P<id>[^/]+)"
# A minimal JPEG: SOI, APP0 (JFIF) header, EOI — enough for signature checks.
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
_VERIFIER = re.compile(r"[A-Za-z0-9_.\-~]{43,128}")


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str | None
    scope: frozenset[str]
    user: str
    used: bool = False


@dataclass
class _Token:
    user: str | None  # None for app-only (client credentials) tokens
    scope: frozenset[str]
    expires_at: float


@dataclass
class _Refresh:
    client_id: str
    user: str
    scope: frozenset[str]
    pkce: bool
    revoked: bool = False


class FakeSpotify(FakeServer):
    """Accounts service at `accounts_url`, Web API at `api_url` (same server, `/v1` prefix)."""

    def __init__(
        self,
        *,
        catalogue: Catalogue | None = None,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
        expires_in: int = 3600,
        rotate_refresh_tokens: bool = True,
        flaky_rate: float = 0.0,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.catalogue = catalogue or default_catalogue()
        self.ids = self.catalogue.ids
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = set(redirect_uris)
        self.expires_in = expires_in
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.flaky_rate = flaky_rate
        self.consent = "approve"  # or "deny"
        self.login_user = USER
        self.allow_listed: set[str] | None = None  # None: every user may call the API
        self.clock_offset = 0.0
        self.codes: dict[str, _Code] = {}
        self.tokens: dict[str, _Token] = {}
        self.refresh_tokens: dict[str, _Refresh] = {}
        self._rng = random.Random(seed)
        self._caller: _Token | None = None
        self._register_routes()

    # -- addresses and scripting ----------------------------------------------------------------
    @property
    def accounts_url(self) -> str:
        return self.url

    @property
    def api_url(self) -> str:
        return self.url + "/v1"

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (tokens expire) without sleeping."""
        with self.lock:
            self.clock_offset += seconds

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = 0.0

    def revoke_refresh_tokens(self) -> None:
        """What the 6-month consent expiry or a user revoking the app looks like."""
        with self.lock:
            for refresh in self.refresh_tokens.values():
                refresh.revoked = True

    def rate_limit(
        self, pattern: str, *, retry_after: int = 1, quota: bool = False, times: int = 1
    ) -> None:
        """Answer the next `times` GETs matching `pattern` with 429 + `Retry-After`."""
        error: dict[str, Any] = {"status": 429, "message": "API rate limit exceeded"}
        if quota:
            error["reason"] = "QUOTA_EXCEEDED"
        reply = Reply.json({"error": error}, 429, **{"Retry-After": str(retry_after)})
        self.inject("GET", pattern, reply, times=times)

    def server_error(self, pattern: str, *, status: int = 503, times: int = 1) -> None:
        body = {"error": {"status": status, "message": "Service unavailable"}}
        self.inject("GET", pattern, Reply.json(body, status), times=times)

    def gap_after_429(self, pattern: str) -> float:
        """Seconds between the first request to `pattern` (answered 429) and the next one."""
        hits = self.requests_to("GET", pattern)
        if len(hits) < 2:
            raise AssertionError(f"expected a retry of {pattern}, saw {len(hits)} request(s)")
        return hits[1].at - hits[0].at

    def add_playlist_of(self, size: int, *, name: str = "Thousand") -> str:
        with self.lock:
            return add_generated_playlist(self.catalogue, name, size=size)

    def issue_user_token(self, user: str = USER, scope: frozenset[str] = ALL_SCOPES) -> str:
        """An access token as if the OAuth dance happened (for tests of other endpoints)."""
        with self.lock:
            return self._new_access_token(user, scope)

    def image_url(self, kind: str = "jpeg") -> str:
        """A cover-image URL served by this fake: jpeg, png, huge (2 MB), html."""
        return f"{self.url}/image/{kind}"

    def serve_artwork(self) -> None:
        """Point every catalogue image at this server (`/image/cover`), for browser tests.

        Only loopback exists in tests, so the real CDN addresses could never load.
        """
        with self.lock:
            tables = (self.catalogue.albums, self.catalogue.artists, self.catalogue.playlists)
            for table in tables:
                for thing in table.values():
                    for image in thing.get("images") or []:
                        name = image["url"].rsplit("/", 1)[-1]
                        image["url"] = f"{self.url}/image/cover?of={name}"

    def get_image(self, request: Request) -> Reply:
        kind = request.params["kind"]
        if kind == "cover":
            return Reply(200, cover_png(request.arg("of") or ""), {"Content-Type": "image/png"})
        if kind == "jpeg":
            return Reply(200, JPEG_BYTES, {"Content-Type": "image/jpeg"})
        if kind == "png":
            return Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(64), {"Content-Type": "image/png"})
        if kind == "huge":
            return Reply(
                200, b"\xff\xd8\xff" + bytes(2 * 1024 * 1024), {"Content-Type": "image/jpeg"}
            )
        return Reply.html(200, "Not an image")

    # -- accounts service -----------------------------------------------------------------------
    def _register_routes(self) -> None:
        self.route("GET", r"/authorize", self.get_authorize)
        self.route("POST", r"/api/token", self.post_token)
        self.route("GET", r"/v1/me", self.get_me)
        self.route("GET", r"/v1/me/playlists", self.get_my_playlists)
        self.route("GET", r"/v1/me/tracks", self.get_saved_tracks)
        self.route("GET", r"/v1/me/following", self.get_following)
        self.route("GET", rf"/v1/tracks/{_ID}", self.get_track)
        self.route("GET", r"/v1/tracks", self.removed_endpoint)
        self.route("GET", r"/v1/albums", self.removed_endpoint)
        self.route("GET", r"/v1/artists", self.removed_endpoint)
        self.route("GET", rf"/v1/artists/{_ID}/top-tracks", self.removed_endpoint)
        self.route("GET", rf"/v1/albums/{_ID}", self.get_album)
        self.route("GET", rf"/v1/albums/{_ID}/tracks", self.get_album_tracks)
        self.route("GET", rf"/v1/artists/{_ID}", self.get_artist)
        self.route("GET", rf"/v1/artists/{_ID}/albums", self.get_artist_albums)
        self.route("GET", rf"/v1/playlists/{_ID}", self.get_playlist)
        self.route("GET", rf"/v1/playlists/{_ID}/items", self.get_playlist_items)
        self.route("GET", rf"/v1/playlists/{_ID}/tracks", self.removed_endpoint)
        self.route("GET", r"/v1/search", self.get_search)
        self.route("GET", r"/image/(?P<kind>[a-z]+)", self.get_image)

    def get_authorize(self, request: Request) -> Reply:
        client_id, redirect_uri = request.arg("client_id"), request.arg("redirect_uri")
        if client_id != self.client_id:
            return Reply.text("INVALID_CLIENT: Invalid client", 400, "text/html")
        if redirect_uri not in self.redirect_uris:
            return Reply.text("INVALID_CLIENT: Invalid redirect URI", 400, "text/html")
        state = request.arg("state")
        echo = {"state": state} if state is not None else {}
        if request.arg("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", **echo})
        challenge, method = request.arg("code_challenge"), request.arg("code_challenge_method")
        if challenge is not None and method != "S256":
            return _redirect(redirect_uri, {"error": "invalid_request", **echo})
        scope = frozenset((request.arg("scope") or "").split())
        if not scope <= ALL_SCOPES | {"user-read-private", "user-read-email"}:
            return _redirect(redirect_uri, {"error": "invalid_scope", **echo})
        if self.consent != "approve":
            return _redirect(redirect_uri, {"error": "access_denied", **echo})
        code = secrets.token_urlsafe(32)
        self.codes[code] = _Code(client_id, redirect_uri, challenge, scope, self.login_user)
        return _redirect(redirect_uri, {"code": code, **echo})

    def post_token(self, request: Request) -> Reply:
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return _oauth_error("invalid_request", "Content-Type must be form-encoded")
        form = {k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        client = self._token_client(request, form)
        if isinstance(client, Reply):
            return client
        client_id, confidential = client
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._grant_code(form, client_id, confidential)
        if grant == "refresh_token":
            return self._grant_refresh(form, client_id)
        if grant == "client_credentials":
            if not confidential:
                return _oauth_error("invalid_client", "Invalid client", status=400)
            return Reply.json(self._token_body(None, frozenset(), refresh=None))
        return _oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported")

    def _token_client(self, request: Request, form: dict[str, str]) -> tuple[str, bool] | Reply:
        """(client_id, confidential): Basic auth with the secret, or a PKCE `client_id`."""
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return _oauth_error("invalid_client", "Invalid client")
            if client_id != self.client_id:
                return _oauth_error("invalid_client", "Invalid client")
            if secret != self.client_secret:
                return _oauth_error("invalid_client", "Invalid client secret")
            return client_id, True
        if form.get("client_id") == self.client_id:
            return self.client_id, False
        return _oauth_error("invalid_client", "Invalid client")

    def _grant_code(self, form: dict[str, str], client_id: str, confidential: bool) -> Reply:
        code = self.codes.get(form.get("code", ""))
        if code is None or code.used or code.client_id != client_id:
            return _oauth_error("invalid_grant", "Invalid authorization code")
        code.used = True  # single use, even when the rest of the request is wrong
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error("invalid_grant", "Invalid redirect URI")
        if code.challenge is not None or not confidential:
            verifier = form.get("code_verifier", "")
            if not _VERIFIER.fullmatch(verifier) or _s256(verifier) != code.challenge:
                return _oauth_error("invalid_grant", "code_verifier was incorrect")
        refresh = secrets.token_urlsafe(48)
        self.refresh_tokens[refresh] = _Refresh(
            client_id, code.user, code.scope, pkce=not confidential
        )
        return Reply.json(self._token_body(code.user, code.scope, refresh=refresh))

    def _grant_refresh(self, form: dict[str, str], client_id: str) -> Reply:
        token = form.get("refresh_token", "")
        refresh = self.refresh_tokens.get(token)
        if refresh is None or refresh.client_id != client_id:
            return _oauth_error("invalid_grant", "Invalid refresh token")
        if refresh.revoked:
            return _oauth_error("invalid_grant", "Refresh token revoked")
        new_refresh = None
        if self.rotate_refresh_tokens:
            new_refresh = secrets.token_urlsafe(48)
            self.refresh_tokens[new_refresh] = _Refresh(
                client_id, refresh.user, refresh.scope, refresh.pkce
            )
            if refresh.pkce:
                refresh.revoked = True  # PKCE refresh tokens are single-use once rotated
        return Reply.json(self._token_body(refresh.user, refresh.scope, refresh=new_refresh))

    def _token_body(self, user: str | None, scope: frozenset[str], *, refresh: str | None) -> dict:
        body: dict[str, Any] = {
            "access_token": self._new_access_token(user, scope),
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if user is not None:
            body["scope"] = " ".join(sorted(scope))
        if refresh is not None:
            body["refresh_token"] = refresh
        return body

    def _new_access_token(self, user: str | None, scope: frozenset[str]) -> str:
        token = "BQ" + secrets.token_urlsafe(60)
        self.tokens[token] = _Token(user, scope, self.now() + self.expires_in)
        return token

    # -- API gate -------------------------------------------------------------------------------
    def authorize(self, request: Request) -> Reply | None:
        if not request.raw_path.startswith("/v1/"):
            return None
        if self.flaky_rate and self._rng.random() < self.flaky_rate:
            return _api_error(503, "Service unavailable")
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return _api_error(401, "No token provided")
        token = self.tokens.get(header[7:])
        if token is None:
            return _api_error(401, "Invalid access token")
        if token.expires_at <= self.now():
            return _api_error(401, "The access token expired")
        listed = self.allow_listed
        if token.user is not None and listed is not None and token.user not in listed:
            return _api_error(
                403,
                "Check settings on developer.spotify.com/dashboard, "
                "the user may not be registered.",
            )
        self._caller = token
        return None

    def _need_user(self, *scopes: str) -> Reply | str:
        caller = self._caller
        if caller is None or caller.user is None:
            return _api_error(401, "Valid user authentication required")
        if not set(scopes) <= caller.scope:
            return _api_error(403, "Insufficient client scope")
        return caller.user

    def removed_endpoint(self, request: Request) -> Reply:
        return _api_error(403, "Forbidden")

    # -- API: catalogue -------------------------------------------------------------------------
    def get_me(self, request: Request) -> Reply:
        user = self._need_user()
        if isinstance(user, Reply):
            return user
        return Reply.json(self.catalogue.users[user])

    def get_track(self, request: Request) -> Reply:
        track_id = request.params["id"]
        missing = _check_id(track_id, self.catalogue.tracks)
        return missing or Reply.json(self.catalogue.full_track(track_id))

    def get_album(self, request: Request) -> Reply:
        album_id = request.params["id"]
        missing = _check_id(album_id, self.catalogue.albums)
        if missing:
            return missing
        album = self.catalogue.full_album(album_id)
        tracks = self._album_track_views(album_id)
        href = f"{self.api_url}/albums/{album_id}/tracks"
        album["tracks"] = self._page_at(href, {}, tracks, offset=0, limit=50)
        return Reply.json(album)

    def get_album_tracks(self, request: Request) -> Reply:
        album_id = request.params["id"]
        missing = _check_id(album_id, self.catalogue.albums)
        return missing or self._page(request, self._album_track_views(album_id), maximum=50)

    def _album_track_views(self, album_id: str) -> list[dict[str, Any]]:
        return [
            self.catalogue.simple_track(t) for t in self.catalogue.albums[album_id]["_track_ids"]
        ]

    def get_artist(self, request: Request) -> Reply:
        artist_id = request.params["id"]
        missing = _check_id(artist_id, self.catalogue.artists)
        return missing or Reply.json(self.catalogue.artists[artist_id])

    def get_artist_albums(self, request: Request) -> Reply:
        artist_id = request.params["id"]
        missing = _check_id(artist_id, self.catalogue.artists)
        if missing:
            return missing
        groups = (request.arg("include_groups") or "album,single,compilation,appears_on").split(",")
        if not set(groups) <= {"album", "single", "compilation", "appears_on"}:
            return _api_error(400, "Invalid include_groups")
        albums = [
            self.catalogue.simple_album(album_id)
            for album_id, album in self.catalogue.albums.items()
            if album["artists"][0]["id"] == artist_id and album["album_type"] in groups
        ]
        return self._page(request, albums, maximum=10, default=5)

    def get_search(self, request: Request) -> Reply:
        query, kind = (request.arg("q") or "").strip(), request.arg("type")
        if not query:
            return _api_error(400, "No search query")
        if kind != "track":
            return _api_error(400, "Unsupported type in this fake (track only)")
        hits = [
            self.catalogue.full_track(track_id)
            for track_id, track in self.catalogue.tracks.items()
            if _search_matches(query, track, self.catalogue)
        ]
        page = self._page(request, hits, maximum=10, default=5, wrap="tracks")
        return page

    # -- API: the user's library ----------------------------------------------------------------
    def get_my_playlists(self, request: Request) -> Reply:
        user = self._need_user("playlist-read-private")
        if isinstance(user, Reply):
            return user
        followed = self.catalogue.followed_playlists.get(user, [])
        mine = [
            self._playlist_view(playlist, with_items=False)
            for playlist in self.catalogue.playlists.values()
            if playlist["owner"]["id"] == user
            or user in playlist["_collaborators"]
            or playlist["id"] in followed
        ]
        return self._page(request, mine, maximum=50)

    def get_saved_tracks(self, request: Request) -> Reply:
        user = self._need_user("user-library-read")
        if isinstance(user, Reply):
            return user
        saved = [
            {"added_at": added, "track": self.catalogue.full_track(track_id)}
            for added, track_id in self.catalogue.saved.get(user, [])
        ]
        return self._page(request, saved, maximum=50)

    def get_following(self, request: Request) -> Reply:
        user = self._need_user("user-follow-read")
        if isinstance(user, Reply):
            return user
        if request.arg("type") != "artist":
            return _api_error(400, "Bad request: type must be artist")
        limit = _limit(request, maximum=50, default=20)
        if isinstance(limit, Reply):
            return limit
        ids = self.catalogue.following.get(user, [])
        after = request.arg("after")
        start = ids.index(after) + 1 if after in ids else 0
        chunk = ids[start : start + limit]
        more = start + limit < len(ids)
        query = {"type": "artist", "limit": str(limit)}
        href = f"{self.api_url}/me/following?{urlencode({**query, **_after(after)})}"
        page = {
            "href": href,
            "items": [self.catalogue.artists[a] for a in chunk],
            "limit": limit,
            "next": f"{self.api_url}/me/following?{urlencode({**query, 'after': chunk[-1]})}"
            if more and chunk
            else None,
            "cursors": {"after": chunk[-1] if more and chunk else None, "before": None},
            "total": len(ids),
        }
        return Reply.json({"artists": page})

    # -- API: playlists -------------------------------------------------------------------------
    def get_playlist(self, request: Request) -> Reply:
        playlist_id = request.params["id"]
        missing = _check_id(playlist_id, self.catalogue.playlists)
        if missing:
            return missing
        playlist = self.catalogue.playlists[playlist_id]
        if playlist["_spotify_owned"]:
            return _api_error(404, "Resource not found")
        return Reply.json(self._playlist_view(playlist, with_items=self._may_read(playlist)))

    def get_playlist_items(self, request: Request) -> Reply:
        playlist_id = request.params["id"]
        missing = _check_id(playlist_id, self.catalogue.playlists)
        if missing:
            return missing
        playlist = self.catalogue.playlists[playlist_id]
        if playlist["_spotify_owned"]:
            return _api_error(404, "Resource not found")  # dev-mode apps since Nov 2024
        if not self._may_read(playlist):
            return _api_error(403, "Forbidden")
        views = [self.catalogue.entry_view(entry) for entry in playlist["_entries"]]
        reply = self._page(request, views, maximum=50)
        if playlist.pop("_mutate_after_first_page", False):
            self._mutate(playlist)
        return reply

    def _may_read(self, playlist: dict[str, Any]) -> bool:
        """Feb 2026: contents only for playlists the user owns or collaborates on."""
        caller = self._caller
        if caller is None or caller.user is None:
            return False
        return playlist["owner"]["id"] == caller.user or caller.user in playlist["_collaborators"]

    def _mutate(self, playlist: dict[str, Any]) -> None:
        """Someone adds a track at the top while Harmony reads page two."""
        newcomer = self.catalogue.ids["track_feat"]
        playlist["_entries"].insert(0, self.catalogue.track_entry(newcomer))
        playlist["_version"] += 1

    def _playlist_view(self, playlist: dict[str, Any], *, with_items: bool) -> dict[str, Any]:
        view = {k: v for k, v in playlist.items() if not k.startswith("_")}
        view["snapshot_id"] = f"{playlist['id']}-v{playlist['_version']}"
        href = f"{self.api_url}/playlists/{playlist['id']}/items"
        contents: dict[str, Any] = {"href": href, "total": len(playlist["_entries"])}
        if with_items:
            entries = [self.catalogue.entry_view(e) for e in playlist["_entries"]]
            contents = self._page_at(href, {}, entries, offset=0, limit=100)
        view["items"] = contents
        view["tracks"] = contents  # deprecated name, still sent
        return view

    # -- paging ---------------------------------------------------------------------------------
    def _page(
        self,
        request: Request,
        items: list[Any],
        *,
        maximum: int,
        default: int = 20,
        wrap: str | None = None,
    ) -> Reply:
        limit = _limit(request, maximum=maximum, default=default)
        if isinstance(limit, Reply):
            return limit
        try:
            offset = int(request.arg("offset", "0") or "0")
        except ValueError:
            return _api_error(400, "Invalid offset")
        if offset < 0:
            return _api_error(400, "Invalid offset")
        query = {k: v[0] for k, v in request.query.items() if k not in ("offset", "limit")}
        href = f"{self.url}{request.raw_path}"
        page = self._page_at(href, query, items, offset=offset, limit=limit)
        return Reply.json({wrap: page} if wrap else page)

    @staticmethod
    def _page_at(
        href: str, query: dict[str, str], items: list[Any], *, offset: int, limit: int
    ) -> dict[str, Any]:
        def link(at: int) -> str:
            return f"{href}?{urlencode({**query, 'offset': at, 'limit': limit})}"

        return {
            "href": link(offset),
            "items": items[offset : offset + limit],
            "limit": limit,
            "next": link(offset + limit) if offset + limit < len(items) else None,
            "offset": offset,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "total": len(items),
        }


# -- helpers ----------------------------------------------------------------------------------
def cover_png(seed: str, size: int = 8) -> bytes:
    """A real (decodable) PNG of one colour derived from `seed`."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    colour = hashlib.sha256(seed.encode()).digest()[:3]
    rows = b"".join(b"\x00" + colour * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _redirect(redirect_uri: str, params: dict[str, str]) -> Reply:
    separator = "&" if "?" in redirect_uri else "?"
    return Reply.empty(302, Location=f"{redirect_uri}{separator}{urlencode(params)}")


def _oauth_error(error: str, description: str, *, status: int = 400) -> Reply:
    return Reply.json({"error": error, "error_description": description}, status)


def _api_error(status: int, message: str) -> Reply:
    return Reply.json({"error": {"status": status, "message": message}}, status)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _check_id(object_id: str, table: dict[str, Any]) -> Reply | None:
    if not re.fullmatch(r"[0-9A-Za-z]{22}", object_id):
        return _api_error(400, "Invalid base62 id")
    if object_id not in table:
        return _api_error(404, "Resource not found")
    return None


def _limit(request: Request, *, maximum: int, default: int) -> int | Reply:
    raw = request.arg("limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        return _api_error(400, "Invalid limit")
    if not 1 <= limit <= maximum:
        return _api_error(400, "Invalid limit")
    return limit


def _after(after: str | None) -> dict[str, str]:
    return {"after": after} if after else {}


def _search_matches(query: str, track: dict[str, Any], catalogue: Catalogue) -> bool:
    """Enough of Spotify's query syntax for contract tests: free words, artist:, track:, isrc:."""
    artists = " ".join(a["name"] for a in track["artists"]).casefold()
    album = catalogue.albums[track["album_id"]]["name"].casefold()
    for term in re.findall(r'(\w+:"[^"]*"|\w+:\S+|"[^"]*"|\S+)', query):
        field, _, value = term.partition(":") if re.match(r"\w+:", term) else ("", "", term)
        value = value.strip('"').casefold()
        haystack = {
            "artist": artists,
            "track": track["name"].casefold(),
            "album": album,
            "isrc": track["external_ids"]["isrc"].casefold(),
        }.get(field, f"{track['name']} {artists} {album}".casefold())
        if value not in haystack:
            return False
    return True


def fake_knobs(server: FakeSpotify) -> dict[str, str]:
    """The SPOTIFY_* knob values that point Harmony at `server`."""
    return {
        "SPOTIFY_MODE": "auto",
        "SPOTIFY_CLIENT_ID": server.client_id,
        "SPOTIFY_CLIENT_SECRET": server.client_secret,
        "SPOTIFY_REDIRECT_URI": REDIRECT_URI,
        "SPOTIFY_ACCOUNTS_URL": server.accounts_url,
        "SPOTIFY_API_URL": server.api_url,
        "SPOTIFY_MAX_RETRY_AFTER": "5",
    }


@contextlib.contextmanager
def knobs_set(**values: str) -> Iterator[None]:
    """Set knobs through the environment for the block; the config cache is reset both ways."""
    from harmony_site.config import get_config

    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_config.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_config.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake Spotify on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--expires-in", type=int, default=3600, help="access token lifetime (s)")
    parser.add_argument("--big-playlist", type=int, default=1000, help="items of a long playlist")
    parser.add_argument("--flaky-rate", type=float, default=0.0, help="share of random 503s")
    args = parser.parse_args()
    server = FakeSpotify(port=args.port, expires_in=args.expires_in, flaky_rate=args.flaky_rate)
    if args.big_playlist:
        server.ids["playlist_big"] = server.add_playlist_of(args.big_playlist)
    server.start()
    print(f"fake Spotify accounts at {server.accounts_url}, API at {server.api_url}", flush=True)
    print(f"SPOTIFY_ACCOUNTS_URL={server.accounts_url} SPOTIFY_API_URL={server.api_url}")
    print(f"SPOTIFY_CLIENT_ID={server.client_id} SPOTIFY_CLIENT_SECRET={server.client_secret}")
    print(f"redirect URI: {REDIRECT_URI}")
    for name, object_id in sorted(server.ids.items()):
        kind = name.split("_")[0] if name.split("_")[0] in ("album", "playlist", "track") else ""
        print(f"  {name:22} {f'spotify:{kind}:{object_id}' if kind else object_id}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
