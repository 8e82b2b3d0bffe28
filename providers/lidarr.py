"""Lidarr's API v1 as a source of wanted tracks and a library to tell about new files.

Auth is the `X-Api-Key` header. `GET /api/v1/wanted/missing` pages monitored albums without
files (`page`, `pageSize`, `totalRecords`, `records`); `GET /api/v1/track?albumId=` lists an
album's tracks with their MusicBrainz ids and `hasFile`; `POST /api/v1/command` with
`RescanFolders` makes Lidarr read folders again (201 with the queued command).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from providers.errors import ProviderResponseError
from providers.http import HttpClient
from providers.types import TrackMeta

API = "/api/v1"
PAGE_SIZE = 50
MAX_PAGES = 200  # 10,000 wanted albums; a runaway totalRecords must not loop forever


@dataclass(frozen=True)
class WantedAlbum:
    """One missing album and its tracks that have no file yet."""

    lidarr_id: int
    label: str  # "Artist — Album"
    musicbrainz_release_group_id: str
    tracks: tuple[TrackMeta, ...]


class LidarrClient:
    def __init__(self, url: str, api_key: str, *, timeout: float = 15.0) -> None:
        self.http = HttpClient(
            url, name="lidarr", headers={"X-Api-Key": api_key}, read_timeout=timeout
        )

    def close(self) -> None:
        self.http.close()

    def version(self) -> str:
        status = self.http.get_json(f"{API}/system/status")
        if not isinstance(status, dict):
            raise ProviderResponseError("system/status is not an object", provider="lidarr")
        return f"{status.get('appName', 'Lidarr')} {status.get('version', '')}".strip()

    def missing_albums(self, *, page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every monitored missing album record, page after page, artist included."""
        for page in range(1, MAX_PAGES + 1):
            params = {"page": page, "pageSize": page_size, "sortKey": "releaseDate",
                      "sortDirection": "descending", "includeArtist": "true",
                      "monitored": "true"}  # fmt: skip
            body = self.http.get_json(f"{API}/wanted/missing", params=params)
            records = body.get("records") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise ProviderResponseError("wanted/missing without records", provider="lidarr")
            yield from records
            if not records or page * page_size >= int(body.get("totalRecords") or 0):
                return

    def album_tracks(self, album_id: int) -> list[dict[str, Any]]:
        tracks = self.http.get_json(f"{API}/track", params={"albumId": album_id})
        if not isinstance(tracks, list):
            raise ProviderResponseError("track list is not an array", provider="lidarr")
        return tracks

    def wanted(self, *, page_size: int = PAGE_SIZE) -> Iterator[WantedAlbum]:
        """Each missing album with the tracks that still lack a file, as TrackMeta."""
        for album in self.missing_albums(page_size=page_size):
            tracks = [t for t in self.album_tracks(int(album["id"])) if not t.get("hasFile")]
            yield wanted_album(album, tracks)

    def rescan(self, folders: Sequence[str]) -> int:
        """Ask Lidarr to rescan `folders` (its own view of them); returns the command id."""
        command = self.http.request_json(
            "POST",
            f"{API}/command",
            json={"name": "RescanFolders", "folders": list(folders)},
            expected=(200, 201),
        )
        return int(command.get("id", 0)) if isinstance(command, dict) else 0


def wanted_album(album: dict[str, Any], tracks: list[dict[str, Any]]) -> WantedAlbum:
    """Lidarr's album and track resources as TrackMeta, keeping every MusicBrainz id."""
    artist = album.get("artist") or {}
    artist_name = str(artist.get("artistName", ""))
    release = next((r for r in album.get("releases", []) if r.get("monitored")), {})
    common = {
        "artists": (artist_name,),
        "album": str(album.get("title", "")),
        "album_artist": artist_name,
        "release_date": str(album.get("releaseDate") or "")[:10],
        "release_date_precision": "day" if album.get("releaseDate") else "",
        "musicbrainz_album_id": str(release.get("foreignReleaseId", "")),
        "musicbrainz_artist_id": str(artist.get("foreignArtistId", "")),
    }
    metas = tuple(
        TrackMeta(
            title=str(track.get("title", "")),
            track_number=_int(track.get("trackNumber")),
            disc_number=_int(track.get("mediumNumber")),
            duration_ms=_int(track.get("duration")) or None,
            explicit=bool(track.get("explicit")),
            musicbrainz_recording_id=str(track.get("foreignRecordingId", "")),
            **common,
        )
        for track in tracks
    )
    return WantedAlbum(
        lidarr_id=int(album["id"]),
        label=f"{artist_name} — {album.get('title', '')}",
        musicbrainz_release_group_id=str(album.get("foreignAlbumId", "")),
        tracks=metas,
    )


def _int(value: Any) -> int | None:
    # Lidarr sends trackNumber as a string ("1", or "A1" on vinyl).
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
