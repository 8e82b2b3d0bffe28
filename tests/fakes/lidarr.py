"""A fake Lidarr (API v1) on 127.0.0.1, shaped like Lidarr's own resources.

`X-Api-Key` header (or `apikey` query) or 401. Routes:

- `GET /api/v1/system/status` → `{"appName": "Lidarr", "version": …}`;
- `GET /api/v1/wanted/missing?page&pageSize&sortKey&sortDirection&includeArtist&monitored` →
  `{"page", "pageSize", "sortKey", "sortDirection", "totalRecords", "records": [album…]}`,
  pages counted from 1, default page size 10, the artist embedded when `includeArtist=true`;
- `GET /api/v1/track?albumId=` → the album's tracks (`foreignRecordingId`, `hasFile`, …);
- `POST /api/v1/command` → 201 with the queued command (`RescanFolders` keeps its `folders`).
"""

from __future__ import annotations

from typing import Any

from tests.fakes.base import FakeServer, Reply, Request

API = "/api/v1"


class FakeLidarr(FakeServer):
    def __init__(self, *, api_key: str = "lidarr-key-0123456789"):
        super().__init__()
        self.api_key = api_key
        self.albums: list[dict[str, Any]] = []
        self.tracks: dict[int, list[dict[str, Any]]] = {}
        self.commands: list[dict[str, Any]] = []
        self.route("GET", rf"{API}/system/status", self._status)
        self.route("GET", rf"{API}/wanted/missing", self._missing)
        self.route("GET", rf"{API}/track", self._tracks)
        self.route("POST", rf"{API}/command", self._command)

    def add_missing_album(self, artist: str, title: str, track_titles: list[str],
                          *, have: int = 0) -> dict[str, Any]:  # fmt: skip
        """A monitored album whose first `have` tracks have files; returns the album record."""
        n = len(self.albums) + 1
        album = {
            "id": n, "title": title, "foreignAlbumId": f"rg-{n:04d}-mbid", "monitored": True,
            "releaseDate": "2001-05-21T00:00:00Z", "albumType": "Album", "artistId": 100 + n,
            "artist": {"id": 100 + n, "artistName": artist, "foreignArtistId": f"artist-{n}-mbid"},
            "releases": [
                {"id": 900 + n, "foreignReleaseId": f"other-release-{n}", "monitored": False},
                {"id": 800 + n, "foreignReleaseId": f"release-{n}-mbid", "monitored": True,
                 "trackCount": len(track_titles), "format": "CD", "status": "Official"},
            ],
            "statistics": {"trackFileCount": have, "trackCount": len(track_titles)},
        }  # fmt: skip
        self.albums.append(album)
        self.tracks[n] = [
            {"id": n * 100 + i, "albumId": n, "artistId": 100 + n, "title": name,
             "trackNumber": str(i), "absoluteTrackNumber": i, "mediumNumber": 1,
             "duration": 200_000 + i * 1000, "explicit": False, "hasFile": i <= have,
             "trackFileId": n * 100 + i if i <= have else 0,
             "foreignTrackId": f"track-{n}-{i}-mbid", "foreignRecordingId": f"rec-{n}-{i}-mbid"}
            for i, name in enumerate(track_titles, start=1)
        ]  # fmt: skip
        return album

    def authorize(self, request: Request) -> Reply | None:
        if (request.headers.get("x-api-key") or request.arg("apikey")) != self.api_key:
            return Reply.empty(401)
        return None

    def _status(self, request: Request) -> Reply:
        return Reply.json({"appName": "Lidarr", "instanceName": "Lidarr", "version": "2.9.6.4552",
                           "isDocker": True, "urlBase": ""})  # fmt: skip

    def _missing(self, request: Request) -> Reply:
        page = int(request.arg("page", "1") or 1)
        size = int(request.arg("pageSize", "10") or 10)
        monitored = request.arg("monitored", "true") == "true"
        rows = [a for a in self.albums if a["monitored"] == monitored]
        records = rows[(page - 1) * size : page * size]
        if request.arg("includeArtist") != "true":
            records = [{k: v for k, v in a.items() if k != "artist"} for a in records]
        return Reply.json({"page": page, "pageSize": size, "sortKey": request.arg("sortKey", ""),
                           "sortDirection": request.arg("sortDirection", "default"),
                           "totalRecords": len(rows), "records": records})  # fmt: skip

    def _tracks(self, request: Request) -> Reply:
        album_id = request.arg("albumId")
        if not album_id:
            return Reply.json({"message": "albumId, artistId or trackIds must be provided"}, 400)
        return Reply.json(self.tracks.get(int(album_id), []))

    def _command(self, request: Request) -> Reply:
        body = request.json() or {}
        command = {"name": body.get("name"), "commandName": "Rescan Folders", "body": body,
                   "priority": "normal", "status": "queued", "trigger": "manual",
                   "id": len(self.commands) + 1}  # fmt: skip
        self.commands.append(command)
        return Reply.json(command, 201)
