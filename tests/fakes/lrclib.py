"""A fake LRCLIB (`provider-apis.md` §3) as a real loopback server.

``GET /api/get`` needs ``track_name`` and ``artist_name`` (else 400 ``ValidationError``); names
match case-insensitively after trimming, ``album_name`` narrows when sent, ``duration`` must be
1–3600 and matches within ±2 s; no match → 404 ``TrackNotFound``. ``GET /api/get/{id}`` too.
Add records with `add(...)`. Run by hand: ``python -m tests.fakes.lrclib --port 9091``.
Fixture: ``fake_lrclib``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from tests.fakes.base import FakeServer, Reply, Request

SYNCED = "[00:01.00] Hello from the fake\n[00:04.50] Second line\n"


class FakeLrclib(FakeServer):
    def __init__(self, *, port: int = 0) -> None:
        super().__init__(port=port)
        self.records: list[dict[str, Any]] = []
        self.route("GET", r"/api/get", self.get_lyrics)
        self.route("GET", r"/api/get/(?P<id>\d+)", self.get_by_id)

    def add(
        self,
        track: str,
        artist: str,
        album: str,
        duration: float,
        *,
        plain: str | None = "Hello from the fake\nSecond line\n",
        synced: str | None = SYNCED,
        instrumental: bool = False,
    ) -> int:
        record_id = len(self.records) + 1
        self.records.append(
            {
                "id": record_id,
                "name": track,
                "trackName": track,
                "artistName": artist,
                "albumName": album,
                "duration": duration,
                "instrumental": instrumental,
                "plainLyrics": None if instrumental else plain,
                "syncedLyrics": None if instrumental else synced,
            }
        )
        return record_id

    def get_lyrics(self, request: Request) -> Reply:
        track, artist = request.arg("track_name"), request.arg("artist_name")
        if not track or not artist:
            return _validation("track_name and artist_name are required")
        album, duration = request.arg("album_name"), request.arg("duration")
        seconds = None
        if duration is not None:
            try:
                seconds = float(duration)
            except ValueError:
                return _validation("duration must be a number")
            if not 1 <= seconds <= 3600:
                return _validation("duration must be between 1 and 3600")
        for record in self.records:
            if _same(record["trackName"], track) and _same(record["artistName"], artist):
                if album and not _same(record["albumName"], album):
                    continue
                if seconds is not None and abs(record["duration"] - seconds) > 2:
                    continue
                return Reply.json(record)
        return _not_found()

    def get_by_id(self, request: Request) -> Reply:
        number = int(request.params["id"])
        if 1 <= number <= len(self.records):
            return Reply.json(self.records[number - 1])
        return _not_found()


def _same(left: str, right: str) -> bool:
    return " ".join(left.split()).casefold() == " ".join(right.split()).casefold()


def _validation(message: str) -> Reply:
    return Reply.json({"code": 400, "name": "ValidationError", "message": message}, 400)


def _not_found() -> Reply:
    body = {"message": "Failed to find specified track", "name": "TrackNotFound", "statusCode": 404}
    return Reply.json(body, 404)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake LRCLIB on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=9091)
    args = parser.parse_args()
    server = FakeLrclib(port=args.port)
    server.add("Svefn-g-englar", "Sigur Rós", "Ágætis byrjun", 604)
    server.start()
    print(f"fake LRCLIB at {server.url} (LYRICS_URL={server.url})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
