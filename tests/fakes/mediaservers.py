"""Fake media servers on 127.0.0.1, built from each server's published API.

- `FakePlex`: `X-Plex-Token` (header or query) or 401; `GET /` (server identity),
  `GET /library/sections` (libraries with their `Location` paths, JSON with
  `Accept: application/json`), `GET /library/sections/{key}/refresh?path=` (partial scan;
  404 for an unknown section).
- `FakeJellyfin`: `Authorization: MediaBrowser Token="…"` or `X-Emby-Token` (Emby accepts only
  the latter) or 401; `GET /System/Info`, `POST /Library/Refresh` → 204.
- `FakeNavidrome`: the Subsonic API under `/rest/` (with or without `.view`): `u`, `t` =
  md5(password + `s`), `s`, `v`, `c` required; `f=json` answers in a `subsonic-response`
  envelope; failures are HTTP 200 with `status: "failed"` and a Subsonic error code
  (10 missing parameter, 40 wrong username or password).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from tests.fakes.base import FakeServer, Reply, Request

PLEX_401 = (
    "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
)


class FakePlex(FakeServer):
    def __init__(self, *, token: str = "plex-token-0123", music_path: str = "/data/music"):
        super().__init__()
        self.token = token
        self.sections: list[dict[str, Any]] = [
            {
                "key": "1",
                "type": "artist",
                "title": "Music",
                "agent": "tv.plex.agents.music",
                "scanner": "Plex Music",
                "Location": [{"id": 1, "path": music_path}],
            },
            {
                "key": "2",
                "type": "movie",
                "title": "Movies",
                "agent": "tv.plex.agents.movie",
                "scanner": "Plex Movie",
                "Location": [{"id": 2, "path": "/data/movies"}],
            },
        ]
        self.scans: list[tuple[str, str]] = []  # (section key, path)
        self.route("GET", r"/", self._identity)
        self.route("GET", r"/library/sections", self._sections)
        self.route("GET", r"/library/sections/(?P<key>[^/]+)/refresh", self._refresh)

    def authorize(self, request: Request) -> Reply | None:
        token = request.headers.get("x-plex-token") or request.arg("X-Plex-Token")
        if token != self.token:
            return Reply.text(PLEX_401, 401, "text/html")
        return None

    def _identity(self, request: Request) -> Reply:
        return Reply.json(
            {
                "MediaContainer": {
                    "size": 0,
                    "friendlyName": "fake-plex",
                    "machineIdentifier": "f4k3",
                    "version": "1.41.3.9314",
                }
            }
        )

    def _sections(self, request: Request) -> Reply:
        directory = self.sections
        return Reply.json(
            {
                "MediaContainer": {
                    "size": len(directory),
                    "allowSync": False,
                    "title1": "Plex Library",
                    "Directory": directory,
                }
            }
        )

    def _refresh(self, request: Request) -> Reply:
        key = request.params["key"]
        if not any(section["key"] == key for section in self.sections):
            return Reply.text(
                PLEX_401.replace("401 Unauthorized", "404 Not Found"), 404, "text/html"
            )
        self.scans.append((key, request.arg("path", "")))
        return Reply.empty(200)


class FakeJellyfin(FakeServer):
    def __init__(self, *, api_key: str = "jellyfin-key-0123", emby: bool = False):
        super().__init__()
        self.api_key = api_key
        self.emby = emby
        self.refreshes = 0
        self.route("GET", r"/System/Info", self._info)
        self.route("POST", r"/Library/Refresh", self._refresh)

    def authorize(self, request: Request) -> Reply | None:
        tokens = [request.headers.get("x-emby-token", "")]
        if not self.emby:
            match = re.search(r'Token="([^"]*)"', request.headers.get("authorization", ""))
            tokens.append(match.group(1) if match else "")
        if self.api_key not in tokens:
            return Reply.empty(401)
        return None

    def _info(self, request: Request) -> Reply:
        name = "fake-emby" if self.emby else "fake-jellyfin"
        return Reply.json(
            {
                "ServerName": name,
                "Version": "10.10.3",
                "Id": "0f4k3",
                "OperatingSystem": "Linux",
                "StartupWizardCompleted": True,
            }
        )

    def _refresh(self, request: Request) -> Reply:
        self.refreshes += 1
        return Reply.empty(204)


class FakeNavidrome(FakeServer):
    REQUIRED = ("u", "t", "s", "v", "c")

    def __init__(self, *, username: str = "harmony", password: str = "sesame-0123"):
        super().__init__()
        self.username = username
        self.password = password
        self.scans = 0
        self.salts: list[str] = []
        self.route("GET", r"/rest/ping(\.view)?", lambda r: self._answer(r, dict))
        self.route("GET", r"/rest/startScan(\.view)?", lambda r: self._answer(r, self._scan))

    def _check(self, request: Request) -> dict[str, Any] | None:
        """The Subsonic error for a bad request, or None when it may proceed."""
        if any(not request.arg(name) for name in self.REQUIRED):
            return {"code": 10, "message": "Required parameter is missing."}
        salt = request.arg("s", "")
        expected = hashlib.md5((self.password + salt).encode(), usedforsecurity=False).hexdigest()
        if request.arg("u") != self.username or request.arg("t") != expected:
            return {"code": 40, "message": "Wrong username or password"}
        self.salts.append(salt)
        return None

    def _answer(self, request: Request, content: Callable[[], dict[str, Any]]) -> Reply:
        error = self._check(request)
        envelope: dict[str, Any] = {
            "status": "ok",
            "version": "1.16.1",
            "type": "navidrome",
            "serverVersion": "0.53.3 (13af8ed4)",
            "openSubsonic": True,
        }
        if error is not None:
            envelope.update(status="failed", error=error)
        else:
            envelope.update(content())
        if request.arg("f") != "json":
            return Reply.text(
                f'<subsonic-response status="{envelope["status"]}"/>', 200, "text/xml"
            )
        return Reply.json({"subsonic-response": envelope})

    def _scan(self) -> dict[str, Any]:
        self.scans += 1
        return {"scanStatus": {"scanning": True, "count": 0, "folderCount": 0}}
