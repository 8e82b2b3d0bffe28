"""Provider-neutral metadata that the HDM and the library consume."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Artwork:
    url: str
    width: int | None = None  # Spotify sends null sizes for some images
    height: int | None = None


@dataclass(frozen=True)
class TrackMeta:
    """One wanted or owned recording, normalised from Spotify, a text list or a file's tags."""

    title: str
    artists: tuple[str, ...]
    album: str = ""
    album_artist: str = ""
    release_date: str = ""  # "1997" | "1997-05" | "1997-05-21"
    release_date_precision: str = ""  # "year" | "month" | "day" | ""
    track_number: int | None = None
    track_total: int | None = None
    disc_number: int | None = None
    disc_total: int | None = None
    duration_ms: int | None = None
    isrc: str = ""
    explicit: bool = False
    genres: tuple[str, ...] = ()
    spotify_track_id: str = ""
    spotify_album_id: str = ""
    spotify_artist_ids: tuple[str, ...] = ()
    musicbrainz_recording_id: str = ""
    musicbrainz_album_id: str = ""
    musicbrainz_artist_id: str = ""
    artwork: tuple[Artwork, ...] = field(default=())

    @property
    def artist(self) -> str:
        """The primary artist: the first credited one."""
        return self.artists[0] if self.artists else ""

    @property
    def year(self) -> str:
        return self.release_date[:4]

    @property
    def duration_s(self) -> float | None:
        return None if self.duration_ms is None else self.duration_ms / 1000

    def largest_artwork(self) -> Artwork | None:
        if not self.artwork:
            return None
        return max(self.artwork, key=lambda art: (art.width or 0) * (art.height or 0))
