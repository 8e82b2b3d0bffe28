"""Clients that ask a media server to rescan after imports: Plex, Jellyfin/Emby and Navidrome
(or any Subsonic server), plus the path mapping between Harmony's `MUSIC_DIR` and the server's.

Each client has `check()` (the "test connection": authenticated, returns name and version) and
`refresh(folders)` (one rescan request; `folders` are already in the server's view). They raise
the typed errors of providers/errors.py and never retry for long: the caller keeps a delivery
row with its own backoff (integrations/services.py).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any, Protocol

from providers.errors import ProviderAuthError, ProviderResponseError
from providers.http import HttpClient

SUBSONIC_API_VERSION = "1.16.1"  # what Navidrome implements; older servers accept it too
CLIENT_NAME = "harmony"


@dataclass(frozen=True)
class ServerInfo:
    """What a test connection shows: the server's own name and version."""

    name: str
    version: str


class MediaServer(Protocol):
    def check(self) -> ServerInfo: ...

    def refresh(self, folders: Sequence[str]) -> int: ...

    def close(self) -> None: ...


def server_path(local: Path, *, music_dir: Path, server_music_dir: str) -> str:
    """`local` (a folder inside MUSIC_DIR) as the server sees it, under `server_music_dir`.

    The server may mount the library elsewhere (`/data/music`) or run on Windows
    (`D:\\Music`); an empty `server_music_dir` means it sees the same path. A folder outside
    MUSIC_DIR raises ValueError: Harmony never asks a server to scan anything else.
    """
    relative = Path(local).resolve().relative_to(Path(music_dir).resolve())
    base = server_music_dir.strip() or str(Path(music_dir).resolve())
    flavour: type[PurePath] = PureWindowsPath if _is_windows_path(base) else PurePosixPath
    mapped = flavour(base).joinpath(*relative.parts)
    return str(mapped)


def _is_windows_path(path: str) -> bool:
    return "\\" in path or (len(path) >= 2 and path[1] == ":")


def _is_under(path: str, root: str) -> bool:
    flavour: type[PurePath] = PureWindowsPath if _is_windows_path(root) else PurePosixPath
    try:
        flavour(path).relative_to(flavour(root))
    except ValueError:
        return False
    return True


class PlexClient:
    """Plex Media Server: `X-Plex-Token` auth, JSON answers, partial scans by folder."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        headers = {
            "X-Plex-Token": token,
            "Accept": "application/json",
            "X-Plex-Product": "Harmony",
            "X-Plex-Client-Identifier": CLIENT_NAME,
        }
        self.http = HttpClient(
            url, name="plex", headers=headers, read_timeout=timeout, max_retries=1
        )

    def check(self) -> ServerInfo:
        root = _container(self.http.get_json("/"), "plex")
        return ServerInfo(str(root.get("friendlyName") or "Plex"), str(root.get("version", "")))

    def music_sections(self) -> list[tuple[str, list[str]]]:
        """(section key, folder paths) of every music library (Plex type "artist")."""
        sections = _container(self.http.get_json("/library/sections"), "plex")
        return [
            (str(d["key"]), [str(loc.get("path", "")) for loc in d.get("Location", [])])
            for d in sections.get("Directory", [])
            if d.get("type") == "artist"
        ]

    def refresh(self, folders: Sequence[str]) -> int:
        """A partial scan of each folder in the music library that contains it."""
        sections = self.music_sections()
        scans = 0
        for folder in folders:
            keys = [key for key, roots in sections if any(_is_under(folder, r) for r in roots)]
            if not keys:
                raise ProviderResponseError(
                    f"no Plex music library contains {folder} (check the server path of MUSIC_DIR)",
                    provider="plex",
                )
            for key in keys:
                self.http.request(
                    "GET", f"/library/sections/{key}/refresh", params={"path": folder}
                )
                scans += 1
        return scans

    def close(self) -> None:
        self.http.close()


def _container(payload: Any, provider: str) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("MediaContainer"), dict):
        raise ProviderResponseError("answer without a MediaContainer", provider=provider)
    return payload["MediaContainer"]


class JellyfinClient:
    """Jellyfin or Emby: an API key in the auth header; a refresh rescans every library."""

    def __init__(self, url: str, api_key: str, *, emby: bool = False, timeout: float = 10.0):
        name = "emby" if emby else "jellyfin"
        # Emby knows only X-Emby-Token; Jellyfin's documented form is the Authorization header.
        auth = (
            {"X-Emby-Token": api_key}
            if emby
            else {"Authorization": f'MediaBrowser Client="Harmony", Token="{api_key}"'}
        )
        self.http = HttpClient(url, name=name, headers=auth, read_timeout=timeout, max_retries=1)

    def check(self) -> ServerInfo:
        info = self.http.get_json("/System/Info")
        if not isinstance(info, dict):
            raise ProviderResponseError("System/Info is not an object", provider=self.http.name)
        return ServerInfo(str(info.get("ServerName", "")), str(info.get("Version", "")))

    def refresh(self, folders: Sequence[str]) -> int:
        self.http.request("POST", "/Library/Refresh", expected=(200, 204))
        return 1

    def close(self) -> None:
        self.http.close()


class SubsonicClient:
    """Navidrome or another Subsonic server: token auth (`t` = md5(password + salt), fresh salt
    `s` per call), JSON via `f=json`, answers inside a `subsonic-response` envelope that reports
    errors with HTTP 200 and `status: "failed"`."""

    AUTH_ERRORS = frozenset({40, 41, 44})  # wrong credentials, token auth refused, bad token

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        timeout: float = 10.0,
        salt: Callable[[], str] = lambda: secrets.token_hex(8),
    ) -> None:
        self.username = username
        self._password = password
        self._salt = salt
        self.http = HttpClient(url, name="subsonic", read_timeout=timeout, max_retries=1)

    def _params(self) -> dict[str, str]:
        salt = self._salt()
        token = hashlib.md5((self._password + salt).encode(), usedforsecurity=False).hexdigest()
        return {"u": self.username, "t": token, "s": salt, "v": SUBSONIC_API_VERSION,
                "c": CLIENT_NAME, "f": "json"}  # fmt: skip

    def call(self, method: str) -> dict[str, Any]:
        """One API method; the envelope's content, or a typed error for `status: failed`."""
        payload = self.http.get_json(f"/rest/{method}", params=self._params())
        envelope = payload.get("subsonic-response") if isinstance(payload, dict) else None
        if not isinstance(envelope, dict):
            raise ProviderResponseError("answer without subsonic-response", provider="subsonic")
        if envelope.get("status") != "ok":
            error = envelope.get("error") or {}
            code, message = error.get("code"), str(error.get("message") or "request failed")
            kind = ProviderAuthError if code in self.AUTH_ERRORS else ProviderResponseError
            raise kind(f"{message} (Subsonic error {code})", provider="subsonic",
                       endpoint=f"GET /rest/{method}")  # fmt: skip
        return envelope

    def check(self) -> ServerInfo:
        envelope = self.call("ping")
        name = str(envelope.get("type") or "Subsonic")
        return ServerInfo(name, str(envelope.get("serverVersion") or envelope.get("version", "")))

    def refresh(self, folders: Sequence[str]) -> int:
        self.call("startScan")
        return 1

    def close(self) -> None:
        self.http.close()
