"""The fake Spotify's catalogue, shaped like a development-mode app sees Spotify in 2026.

Objects carry only the dev-mode field set (no `popularity`, `available_markets`, `label`,
`linked_from`, artist `followers`); `external_ids` only on full tracks; all three release-date
precisions; images with null sizes; non-ASCII names; playlist entries that are null, episodes or
local files. `default_catalogue()` builds the scenario the contract tests read;
`add_generated_playlist` makes long playlists (e.g. 1,000 items).
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

BASE62 = string.digits + string.ascii_letters
API = "https://api.spotify.com/v1"
USER = "harmony-user"
OTHER_USER = "someone-else"


def spotify_id(seed: str) -> str:
    """A stable 22-character base-62 id derived from `seed`."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def _number(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:6], "big")


def _images(seed: str, *, null_sizes: bool = False) -> list[dict[str, Any]]:
    sizes = (640, 300, 64)
    return [
        {
            "url": f"https://i.scdn.co/image/{spotify_id(seed + str(size))}",
            "width": None if null_sizes else size,
            "height": None if null_sizes else size,
        }
        for size in sizes
    ]


def _links(kind: str, object_id: str) -> dict[str, Any]:
    return {
        "href": f"{API}/{kind}s/{object_id}",
        "uri": f"spotify:{kind}:{object_id}",
        "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{object_id}"},
        "type": kind,
    }


@dataclass
class Catalogue:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    artists: dict[str, dict[str, Any]] = field(default_factory=dict)
    albums: dict[str, dict[str, Any]] = field(default_factory=dict)  # + "_track_ids"
    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)  # full tracks
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)  # + "_entries" etc.
    saved: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # user -> (added_at, id)
    following: dict[str, list[str]] = field(default_factory=dict)  # user -> artist ids
    followed_playlists: dict[str, list[str]] = field(default_factory=dict)  # user -> playlists
    ids: dict[str, str] = field(default_factory=dict)  # scenario name -> id, for tests

    # -- builders ------------------------------------------------------------------------------
    def add_user(self, user_id: str, display_name: str) -> None:
        self.users[user_id] = {
            "id": user_id,
            "display_name": display_name,
            "account_id": spotify_id("account" + user_id),
            "images": [],
            **_links("user", user_id),
        }

    def add_artist(self, name: str, *, genres: tuple[str, ...] = ()) -> str:
        artist_id = spotify_id("artist" + name)
        self.artists[artist_id] = {
            "id": artist_id,
            "name": name,
            "genres": list(genres),
            "images": _images("artist" + name),
            **_links("artist", artist_id),
        }
        return artist_id

    def add_album(
        self,
        name: str,
        artist_ids: list[str],
        *,
        release_date: str,
        precision: str,
        album_type: str = "album",
        track_names: list[str] | None = None,
        discs: int = 1,
        null_image_sizes: bool = False,
        explicit_tracks: bool = False,
    ) -> str:
        album_id = spotify_id("album" + name)
        track_names = track_names or [f"{name} Track {n}" for n in range(1, 4)]
        self.albums[album_id] = {
            "id": album_id,
            "name": name,
            "album_type": album_type,
            "total_tracks": len(track_names),
            "release_date": release_date,
            "release_date_precision": precision,
            "images": _images("album" + name, null_sizes=null_image_sizes),
            "artists": [self.simple_artist(a) for a in artist_ids],
            "genres": [],
            "copyrights": [{"text": f"(P) {release_date[:4]} Fake Records", "type": "P"}],
            "external_ids": {"upc": str(_number("upc" + name))[:12].zfill(12)},
            **_links("album", album_id),
            "_track_ids": [],
        }
        per_disc = -(-len(track_names) // discs)
        for index, title in enumerate(track_names):
            disc, number = divmod(index, per_disc)
            self.add_track(
                album_id,
                title,
                artist_ids,
                track_number=number + 1,
                disc_number=disc + 1,
                explicit=explicit_tracks,
            )
        return album_id

    def add_track(
        self,
        album_id: str,
        name: str,
        artist_ids: list[str],
        *,
        track_number: int,
        disc_number: int = 1,
        explicit: bool = False,
    ) -> str:
        track_id = spotify_id(f"track{album_id}{disc_number}-{track_number}{name}")
        isrc = "QZ" + "FAK" + spotify_id("isrc" + track_id)[:7].upper()
        self.tracks[track_id] = {
            "id": track_id,
            "name": name,
            "artists": [self.simple_artist(a) for a in artist_ids],
            "album_id": album_id,  # replaced by the simplified album when served
            "duration_ms": 120_000 + _number("len" + track_id) % 240_000,
            "track_number": track_number,
            "disc_number": disc_number,
            "explicit": explicit,
            "is_local": False,
            "is_playable": True,
            "preview_url": None,
            "external_ids": {"isrc": isrc},
            **_links("track", track_id),
        }
        album = self.albums[album_id]
        album["_track_ids"].append(track_id)
        album["total_tracks"] = len(album["_track_ids"])
        return track_id

    def add_episode(self, name: str) -> str:
        episode_id = spotify_id("episode" + name)
        self.episodes[episode_id] = {
            "id": episode_id,
            "name": name,
            "duration_ms": 1_800_000,
            "release_date": "2025-01-02",
            "release_date_precision": "day",
            "show": {"id": spotify_id("show" + name), "name": "A Podcast", "type": "show"},
            "images": _images("episode" + name),
            **_links("episode", episode_id),
        }
        return episode_id

    def add_playlist(
        self,
        name: str,
        *,
        owner: str,
        entries: list[dict[str, Any]],
        collaborative: bool = False,
        collaborators: tuple[str, ...] = (),
        public: bool = True,
        spotify_owned: bool = False,
    ) -> str:
        playlist_id = spotify_id("playlist" + name)
        self.playlists[playlist_id] = {
            "id": playlist_id,
            "name": name,
            "description": "",
            "collaborative": collaborative,
            "public": public,
            "owner": {"id": owner, "display_name": self.users[owner]["display_name"]},
            "images": _images("playlist" + name),
            **_links("playlist", playlist_id),
            "_entries": entries,
            "_collaborators": set(collaborators),
            "_version": 1,
            "_spotify_owned": spotify_owned,
        }
        return playlist_id

    # -- entries -------------------------------------------------------------------------------
    def track_entry(self, track_id: str, *, added_at: str | None = "2024-05-01T10:00:00Z") -> dict:
        return {"added_at": added_at, "added_by": {"id": USER}, "is_local": False, "_ref": track_id}

    def episode_entry(self, episode_id: str) -> dict:
        return {"added_at": "2025-02-01T10:00:00Z", "added_by": {"id": USER}, "is_local": False,
                "_episode": episode_id}  # fmt: skip

    @staticmethod
    def null_entry() -> dict:
        return {"added_at": None, "added_by": None, "is_local": False, "_null": True}

    @staticmethod
    def local_entry(artist: str, album: str, title: str, seconds: int) -> dict:
        uri = (
            f"spotify:local:{quote_plus(artist)}:{quote_plus(album)}:{quote_plus(title)}:{seconds}"
        )
        item = {
            "id": None,
            "name": title,
            "type": "track",
            "uri": uri,
            "href": None,
            "is_local": True,
            "artists": [{"id": None, "name": artist, "type": "artist", "uri": None}],
            "album": {"id": None, "name": album, "images": [], "artists": [], "type": "album"},
            "duration_ms": seconds * 1000,
            "track_number": 0,
            "disc_number": 0,
            "explicit": False,
            "external_ids": {},
        }
        return {"added_at": "2024-06-01T10:00:00Z", "added_by": {"id": USER}, "is_local": True,
                "_local": item}  # fmt: skip

    # -- views ---------------------------------------------------------------------------------
    def simple_artist(self, artist_id: str) -> dict[str, Any]:
        artist = self.artists[artist_id]
        return {key: artist[key] for key in ("id", "name", "href", "uri", "type", "external_urls")}

    def simple_album(self, album_id: str) -> dict[str, Any]:
        album = self.albums[album_id]
        return {
            key: value
            for key, value in album.items()
            if not key.startswith("_") and key not in ("genres", "copyrights", "external_ids")
        }

    def full_track(self, track_id: str) -> dict[str, Any]:
        track = dict(self.tracks[track_id])
        track["album"] = self.simple_album(track.pop("album_id"))
        return track

    def simple_track(self, track_id: str) -> dict[str, Any]:
        """Album track lists are simplified: no `album`, no `external_ids`."""
        track = self.full_track(track_id)
        del track["album"], track["external_ids"]
        return track

    def full_album(self, album_id: str) -> dict[str, Any]:
        album = {k: v for k, v in self.albums[album_id].items() if not k.startswith("_")}
        return album

    def entry_view(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A playlist entry as served: `item` (new) and `track` (deprecated) hold the same."""
        if entry.get("_null"):
            item = None
        elif "_episode" in entry:
            item = dict(self.episodes[entry["_episode"]])
        elif "_local" in entry:
            item = entry["_local"]
        else:
            item = self.full_track(entry["_ref"])
        visible = {k: v for k, v in entry.items() if not k.startswith("_")}
        return {**visible, "item": item, "track": item}


def default_catalogue() -> Catalogue:
    """The scenario every contract test reads; ids are in `catalogue.ids`."""
    cat = Catalogue()
    cat.add_user(USER, "Harmony Tester")
    cat.add_user(OTHER_USER, "Someone Else")
    sigur = cat.add_artist("Sigur Rós", genres=("post-rock", "icelandic"))
    bjork = cat.add_artist("Björk", genres=("art pop",))
    radiohead = cat.add_artist("Radiohead", genres=("alternative rock",))
    sakamoto = cat.add_artist("坂本龍一")
    various = cat.add_artist("Various Artists")
    cat.ids.update(sigur=sigur, bjork=bjork, radiohead=radiohead, sakamoto=sakamoto)

    cat.ids["album_day"] = cat.add_album(
        "Ágætis byrjun",
        [sigur],
        release_date="1999-06-12",
        precision="day",
        track_names=["Intro", "Svefn-g-englar", "Starálfur"],
    )
    cat.ids["album_month"] = cat.add_album(
        "Homogenic", [bjork], release_date="1997-09", precision="month", null_image_sizes=True
    )
    cat.ids["album_year"] = cat.add_album(
        "戦場のメリークリスマス", [sakamoto], release_date="1983", precision="year"
    )
    cat.ids["album_long"] = cat.add_album(
        "The Big Box",
        [radiohead],
        release_date="2009-01-01",
        precision="day",
        album_type="compilation",
        track_names=[f"Box Song {n:02d}" for n in range(1, 56)],
        discs=2,
        explicit_tracks=True,
    )
    _add_discography(cat, radiohead)
    cat.ids["album_various"] = cat.add_album(
        "Fake Hits 2026", [various], release_date="2026-03-01", precision="day",
        album_type="compilation",
    )  # fmt: skip
    feat_track = cat.add_track(
        cat.ids["album_various"], "Duet (feat. Björk)", [sigur, bjork], track_number=4
    )
    cat.ids["track_feat"] = feat_track
    cat.ids["track"] = cat.albums[cat.ids["album_day"]]["_track_ids"][1]
    cat.ids["episode"] = cat.add_episode("Episode One")

    album_day_tracks = cat.albums[cat.ids["album_day"]]["_track_ids"]
    mixed = [cat.track_entry(t) for t in album_day_tracks]
    mixed += [
        cat.null_entry(),
        cat.episode_entry(cat.ids["episode"]),
        cat.local_entry("Local Artist", "Home Tapes", "Kitchen Song", 187),
        cat.track_entry(feat_track, added_at=None),
    ]
    cat.ids["playlist_mixed"] = cat.add_playlist("Mixed Bag", owner=USER, entries=mixed)
    cat.ids["playlist_collab"] = cat.add_playlist(
        "Shared Mix",
        owner=OTHER_USER,
        entries=[cat.track_entry(t) for t in album_day_tracks[:2]],
        collaborative=True,
        collaborators=(USER,),
        public=False,
    )
    cat.ids["playlist_foreign"] = cat.add_playlist(
        "Someone Else's Public List",
        owner=OTHER_USER,
        entries=[cat.track_entry(album_day_tracks[0])],
    )
    cat.followed_playlists[USER] = [cat.ids["playlist_foreign"]]
    cat.add_user("spotify", "Spotify")
    cat.ids["playlist_spotify_owned"] = cat.add_playlist(
        "Discover Weekly",
        owner="spotify",
        entries=[cat.track_entry(album_day_tracks[0])],
        spotify_owned=True,
    )
    long_tracks = cat.albums[cat.ids["album_long"]]["_track_ids"]
    cat.ids["playlist_changing"] = cat.add_playlist(
        "Growing List", owner=USER, entries=[cat.track_entry(t) for t in long_tracks]
    )
    cat.playlists[cat.ids["playlist_changing"]]["_mutate_after_first_page"] = True

    cat.saved[USER] = [
        (f"2025-{1 + n % 12:02d}-01T00:00:00Z", t)
        for n, t in enumerate(long_tracks + album_day_tracks + [feat_track])
    ]
    followed = [cat.add_artist(f"Followed Artist {n:03d}") for n in range(1, 61)]
    cat.following[USER] = [sigur, bjork, *followed]
    return cat


def _add_discography(cat: Catalogue, artist_id: str) -> None:
    """23 releases across every group, so artist albums page at the dev-mode limit of 10."""
    groups = [("album", 8), ("single", 9), ("compilation", 2)]
    for album_type, count in groups:
        for n in range(1, count + 1):
            cat.add_album(
                f"Radiohead {album_type.title()} {n}",
                [artist_id],
                release_date=f"{1993 + n}-01-01",
                precision="day",
                album_type=album_type,
                track_names=[f"{album_type} {n} song"],
            )


def add_generated_playlist(cat: Catalogue, name: str, *, size: int, owner: str = USER) -> str:
    """A long playlist of `size` distinct generated tracks (e.g. the 1,000-item drill)."""
    artist_id = cat.add_artist("Generator")
    album_id = cat.add_album(
        name + " Album", [artist_id], release_date="2020", precision="year", track_names=["x"]
    )
    entries = []
    for number in range(1, size + 1):
        track_id = cat.add_track(album_id, f"{name} {number:04d}", [artist_id], track_number=number)
        entries.append(cat.track_entry(track_id))
    return cat.add_playlist(name, owner=owner, entries=entries)
