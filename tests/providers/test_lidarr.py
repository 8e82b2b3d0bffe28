"""The Lidarr client against the fake Lidarr: paging, MusicBrainz ids, rescans, auth."""

from __future__ import annotations

import pytest

from providers.errors import ProviderAuthError
from providers.lidarr import LidarrClient
from tests.fakes.lidarr import FakeLidarr


def test_wanted_reads_every_page_and_keeps_only_tracks_without_files():
    with FakeLidarr() as lidarr:
        for n in range(5):
            lidarr.add_missing_album(f"Artist {n}", f"Album {n}", ["One", "Two", "Three"], have=1)
        client = LidarrClient(lidarr.url, lidarr.api_key)
        albums = list(client.wanted(page_size=2))
        pages = [r.arg("page") for r in lidarr.requests_to("GET", r"/api/v1/wanted/missing")]
    assert pages == ["1", "2", "3"]
    assert len(albums) == 5
    first = albums[0]
    assert [t.title for t in first.tracks] == ["Two", "Three"]
    track = first.tracks[0]
    assert track.musicbrainz_recording_id == "rec-1-2-mbid"
    assert track.musicbrainz_album_id == "release-1-mbid"  # the monitored release
    assert track.musicbrainz_artist_id == "artist-1-mbid"
    assert (track.artist, track.album, track.track_number) == ("Artist 0", "Album 0", 2)
    assert first.musicbrainz_release_group_id == "rg-0001-mbid"


def test_rescan_posts_a_rescan_folders_command():
    with FakeLidarr() as lidarr:
        command_id = LidarrClient(lidarr.url, lidarr.api_key).rescan(["/music/A/B"])
    assert command_id == 1
    assert lidarr.commands[0]["body"] == {"name": "RescanFolders", "folders": ["/music/A/B"]}


def test_a_wrong_key_is_an_auth_error():
    with FakeLidarr() as lidarr, pytest.raises(ProviderAuthError):
        LidarrClient(lidarr.url, "wrong").version()
