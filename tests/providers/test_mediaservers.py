"""Plex, Jellyfin/Emby and Navidrome clients against faithful fakes on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from providers.errors import ProviderAuthError, ProviderResponseError
from providers.mediaservers import JellyfinClient, PlexClient, SubsonicClient, server_path
from tests.fakes.mediaservers import FakeJellyfin, FakeNavidrome, FakePlex


def test_server_path_maps_a_library_folder_onto_the_servers_mount(tmp_path: Path):
    music = tmp_path / "music"
    (music / "Artist" / "Album").mkdir(parents=True)
    folder = music / "Artist" / "Album"
    assert server_path(folder, music_dir=music, server_music_dir="/data/music") == (
        "/data/music/Artist/Album"
    )
    assert server_path(folder, music_dir=music, server_music_dir="D:\\Music") == (
        "D:\\Music\\Artist\\Album"
    )
    assert server_path(folder, music_dir=music, server_music_dir="") == str(folder.resolve())


def test_server_path_refuses_a_folder_outside_music_dir(tmp_path: Path):
    (tmp_path / "music").mkdir()
    with pytest.raises(ValueError):
        server_path(tmp_path / "music" / ".." / "etc", music_dir=tmp_path / "music",
                    server_music_dir="/data/music")  # fmt: skip


def test_plex_partial_scan_goes_to_the_music_section_holding_the_folder():
    with FakePlex(music_path="/data/music") as plex:
        client = PlexClient(plex.url, plex.token)
        assert client.check().name == "fake-plex"
        assert client.refresh(["/data/music/Artist/Album"]) == 1
        client.close()
    assert plex.scans == [("1", "/data/music/Artist/Album")]
    assert all(r.headers["accept"] == "application/json" for r in plex.requests)


def test_plex_refuses_a_folder_no_music_library_contains():
    with FakePlex(music_path="/data/music") as plex:
        client = PlexClient(plex.url, plex.token)
        with pytest.raises(ProviderResponseError, match="no Plex music library"):
            client.refresh(["/elsewhere/Artist/Album"])
    assert plex.scans == []


def test_plex_wrong_token_is_an_auth_error():
    with FakePlex() as plex, pytest.raises(ProviderAuthError):
        PlexClient(plex.url, "wrong").check()


@pytest.mark.parametrize("emby", [False, True])
def test_jellyfin_and_emby_refresh_the_library_with_their_own_auth_header(emby: bool):
    with FakeJellyfin(emby=emby) as server:
        client = JellyfinClient(server.url, server.api_key, emby=emby)
        assert client.check().version == "10.10.3"
        assert client.refresh(["/music/A/B"]) == 1
    assert server.refreshes == 1


def test_jellyfin_wrong_key_is_an_auth_error():
    with FakeJellyfin() as server, pytest.raises(ProviderAuthError):
        JellyfinClient(server.url, "nope").refresh([])
    assert server.refreshes == 0


def test_navidrome_start_scan_uses_salted_token_auth_with_a_fresh_salt_per_call():
    with FakeNavidrome() as server:
        client = SubsonicClient(server.url, server.username, server.password)
        assert client.check().name == "navidrome"
        client.refresh([])
        request = server.requests_to("GET", r"/rest/startScan")[0]
    assert server.scans == 1
    assert request.arg("f") == "json" and request.arg("c") == "harmony"
    assert "p" not in request.query, "the password itself must never be sent"
    assert len(set(server.salts)) == 2


def test_navidrome_wrong_password_is_an_auth_error_from_the_envelope():
    with FakeNavidrome() as server:
        client = SubsonicClient(server.url, server.username, "wrong")
        with pytest.raises(ProviderAuthError, match="Wrong username or password"):
            client.refresh([])
    assert server.scans == 0
