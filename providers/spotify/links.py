"""Turn whatever a person pastes (link, URI, bare id) into a Spotify reference.

Accepted forms (see docs/auth/spotify.md):

- ``https://open.spotify.com/{type}/{id}`` with an optional ``?si=…`` query, a locale segment
  (``/intl-de/``, ``/intl-pt-BR/``), an ``/embed/`` prefix, a legacy ``/user/{name}/`` prefix
  and trailing slashes; the scheme and ``www.``/``play.`` hosts may be missing;
- ``spotify:{type}:{id}`` URIs, including the legacy ``spotify:user:{name}:playlist:{id}``;
- ``spotify:local:Artist:Album:Title:Seconds`` local files (kind ``local``; read them with
  `local_track_meta`);
- a bare 22-character base-62 id when the caller says which kind it is.

Everything else raises `InvalidSpotifyLink` with a message a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

from providers.types import TrackMeta

KINDS = ("track", "album", "artist", "playlist")
MAX_LINK_LENGTH = 2000  # far above any real link; keeps hostile input cheap to refuse

_ID = re.compile(r"[0-9A-Za-z]{22}")
_LOCALE = re.compile(r"intl-[A-Za-z][A-Za-z-]*")
_HOSTS = {"open.spotify.com", "play.spotify.com", "www.open.spotify.com"}
_SHORT_HOSTS = {"spotify.link", "spotify.app.link"}


class InvalidSpotifyLink(ValueError):
    """The text is not a Spotify link, URI or id Harmony can read."""


@dataclass(frozen=True)
class SpotifyRef:
    kind: str  # "track" | "album" | "artist" | "playlist" | "local"
    id: str  # base-62 id; for "local" the URI tail "Artist:Album:Title:Seconds"

    @property
    def uri(self) -> str:
        return f"spotify:{self.kind}:{self.id}"

    @property
    def url(self) -> str:
        if self.kind == "local":
            return ""
        return f"https://open.spotify.com/{self.kind}/{self.id}"


def parse_spotify_link(text: str, *, default_kind: str | None = None) -> SpotifyRef:
    """Parse a pasted link, URI or bare id; raise `InvalidSpotifyLink` for anything else.

    `default_kind` ("track", "album", …) is what a bare id means; without it a bare id is refused
    because the same id cannot tell a track from a playlist.
    """
    if not isinstance(text, str):
        raise InvalidSpotifyLink("expected text, got " + type(text).__name__)
    cleaned = text.strip().strip("<>\"'").strip()
    if not cleaned:
        raise InvalidSpotifyLink("empty link: paste a Spotify link, URI or id")
    if len(cleaned) > MAX_LINK_LENGTH:
        raise InvalidSpotifyLink(f"too long to be a Spotify link ({len(cleaned)} characters)")
    if cleaned.lower().startswith("spotify:"):
        return _parse_uri(cleaned)
    if _ID.fullmatch(cleaned):
        return _bare_id(cleaned, default_kind)
    return _parse_url(cleaned)


def _bare_id(spotify_id: str, default_kind: str | None) -> SpotifyRef:
    if default_kind is None:
        raise InvalidSpotifyLink(
            f"{spotify_id!r} is a bare id: paste the full link or a spotify:track:… URI "
            "so Harmony knows whether it is a track, album, artist or playlist"
        )
    if default_kind not in KINDS:
        raise InvalidSpotifyLink(f"unknown kind {default_kind!r}; expected one of {KINDS}")
    return SpotifyRef(default_kind, spotify_id)


def _parse_uri(uri: str) -> SpotifyRef:
    parts = uri.split(":")
    if len(parts) >= 3 and parts[1].lower() == "local":
        return _local_ref(":".join(parts[2:]))
    # Legacy playlist URIs carry the owner: spotify:user:{name}:playlist:{id}
    if len(parts) == 5 and parts[1].lower() == "user" and parts[3].lower() == "playlist":
        parts = [parts[0], "playlist", parts[4]]
    if len(parts) != 3:
        raise InvalidSpotifyLink(f"not a Spotify URI: {uri!r} (expected spotify:track:<id>)")
    return _checked_ref(parts[1].lower(), parts[2], original=uri)


def _local_ref(tail: str) -> SpotifyRef:
    if tail.count(":") != 3:
        raise InvalidSpotifyLink(
            f"not a Spotify local-file URI: {tail!r} (expected Artist:Album:Title:Seconds)"
        )
    return SpotifyRef("local", tail)


def _parse_url(text: str) -> SpotifyRef:
    candidate = text if "://" in text else "https://" + text
    try:
        parts = urlsplit(candidate)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise InvalidSpotifyLink(f"not a link: {_shorten(text)!r}") from None
    if host in _SHORT_HOSTS:
        raise InvalidSpotifyLink(
            "spotify.link short links cannot be read offline: open it in a browser and paste "
            "the open.spotify.com link it leads to"
        )
    if host not in _HOSTS:
        raise InvalidSpotifyLink(
            f"not a Spotify link: {_shorten(text)!r} (expected https://open.spotify.com/…, "
            "a spotify: URI or an id)"
        )
    if parts.scheme not in ("http", "https"):
        raise InvalidSpotifyLink(f"unsupported link scheme {parts.scheme!r}")
    return _ref_from_path(parts.path, original=text)


def _ref_from_path(path: str, *, original: str) -> SpotifyRef:
    segments = [segment for segment in path.split("/") if segment]
    if segments and _LOCALE.fullmatch(segments[0]):
        segments = segments[1:]
    if segments and segments[0] == "embed":
        segments = segments[1:]
    # Legacy playlist links: /user/{name}/playlist/{id}
    if len(segments) == 4 and segments[0] == "user" and segments[2] == "playlist":
        segments = segments[2:]
    if len(segments) != 2:
        raise InvalidSpotifyLink(
            f"not a Spotify track, album, artist or playlist link: {_shorten(original)!r}"
        )
    return _checked_ref(segments[0].lower(), segments[1], original=original)


def _checked_ref(kind: str, spotify_id: str, *, original: str) -> SpotifyRef:
    if kind not in KINDS:
        raise InvalidSpotifyLink(
            f"Harmony reads tracks, albums, artists and playlists, not {kind!r} "
            f"({_shorten(original)!r})"
        )
    if not _ID.fullmatch(spotify_id):
        raise InvalidSpotifyLink(
            f"{_shorten(spotify_id)!r} is not a Spotify id (22 letters and digits)"
        )
    return SpotifyRef(kind, spotify_id)


def local_track_meta(ref_or_uri: SpotifyRef | str) -> TrackMeta:
    """A text-only wanted track from a local-file URI (``spotify:local:Artist:Album:Title:174``).

    Spotify URL-encodes each part with ``+`` for spaces; empty parts mean unknown.
    """
    ref = ref_or_uri if isinstance(ref_or_uri, SpotifyRef) else parse_spotify_link(ref_or_uri)
    if ref.kind != "local":
        raise InvalidSpotifyLink(f"not a local-file reference: {ref.uri}")
    artist, album, title, seconds = (unquote_plus(part) for part in ref.id.split(":"))
    if not title.strip():
        raise InvalidSpotifyLink(f"local file without a title: {ref.uri}")
    duration = int(seconds) * 1000 if seconds.isascii() and seconds.isdigit() else None
    artists = (artist.strip(),) if artist.strip() else ()
    return TrackMeta(
        title=title.strip(), artists=artists, album=album.strip(), duration_ms=duration
    )


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
