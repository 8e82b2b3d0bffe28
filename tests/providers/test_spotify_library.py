"""PRO mode reads of the user's library and playlists against the fake, over real sockets."""

import pytest

from providers.errors import ProviderAuthError, ProviderNotFound
from providers.spotify.client import SpotifyClient
from tests.fakes.spotify import knobs_set
from tests.providers.spotify_helpers import connect_pro, fast

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pro(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        yield spotify_env


@pytest.fixture
def client(pro):
    return fast(SpotifyClient.from_config())


def test_mixed_playlist_skips_null_and_episode_and_keeps_local_files(pro, client):
    read = client.playlist_items(pro.ids["playlist_mixed"])
    titles = [t.title for t in read.tracks]
    assert titles == ["Intro", "Svefn-g-englar", "Starálfur", "Kitchen Song", "Duet (feat. Björk)"]
    assert [(s.position, s.reason) for s in read.skipped] == [(3, "null_item"), (4, "episode")]
    local = read.tracks[3]
    assert local.artists == ("Local Artist",) and local.album == "Home Tapes"
    assert local.duration_ms == 187_000 and local.spotify_track_id == "" and local.isrc == ""
    assert read.tracks[4].artists == ("Sigur Rós", "Björk")
    assert read.playlist.name == "Mixed Bag" and not read.changed
    call = pro.requests_to("GET", rf"/v1/playlists/{pro.ids['playlist_mixed']}/items")[0]
    assert call.arg("limit") == "50" and call.arg("additional_types") == "track,episode"
    assert not pro.requests_to("GET", r"/v1/playlists/.*/tracks")  # removed endpoint unused


def test_thousand_item_playlist_is_paged_to_the_end(pro, client):
    playlist_id = pro.add_playlist_of(1000)
    tracks = client.playlist_tracks(playlist_id)
    assert len(tracks) == 1000
    assert tracks[0].title == "Thousand 0001" and tracks[-1].title == "Thousand 1000"
    assert len({t.spotify_track_id for t in tracks}) == 1000
    pages = pro.requests_to("GET", rf"/v1/playlists/{playlist_id}/items")
    assert len(pages) == 20
    assert pages[-1].arg("offset") == "950"


def test_playlist_changing_mid_read_is_read_again(pro, client):
    playlist_id = pro.ids["playlist_changing"]
    read = client.playlist_items(playlist_id)
    assert len(read.tracks) == 56  # 55 + the one added while page two was read
    assert read.tracks[0].title == "Duet (feat. Björk)"
    assert len({t.spotify_track_id for t in read.tracks}) == 56
    assert not read.changed
    first_pages = pro.requests_to("GET", rf"/v1/playlists/{playlist_id}/items")
    assert len(first_pages) == 4  # two passes of two pages


def test_collaborative_playlist_is_readable(pro, client):
    assert len(client.playlist_tracks(pro.ids["playlist_collab"])) == 2


def test_foreign_playlist_is_refused_with_advice(pro, client):
    info = client.playlist(pro.ids["playlist_foreign"])
    assert info.owner_id == "someone-else" and info.total == 1
    with pytest.raises(ProviderAuthError, match="owns or collaborates") as error:
        client.playlist_items(pro.ids["playlist_foreign"])
    assert error.value.status == 403
    assert len(pro.requests_to("GET", rf"/v1/playlists/{pro.ids['playlist_foreign']}/items")) == 1


def test_saved_tracks_are_paged(pro, client):
    tracks = client.saved_tracks()
    assert len(tracks) == 59 and all(t.isrc for t in tracks)
    assert len(pro.requests_to("GET", "/v1/me/tracks")) == 2


def test_followed_artists_use_cursor_paging(pro, client):
    artists = client.followed_artists()
    assert len(artists) == 62
    assert artists[0].name == "Sigur Rós" and artists[-1].name == "Followed Artist 060"
    calls = pro.requests_to("GET", "/v1/me/following")
    assert len(calls) == 2
    assert calls[0].arg("type") == "artist" and calls[0].arg("limit") == "50"
    assert calls[1].arg("after") == artists[49].id


def test_my_playlists(pro, client):
    names = {p.name for p in client.my_playlists()}
    # Owned, collaborative and followed (readable or not: the list shows them all).
    assert names == {"Mixed Bag", "Shared Mix", "Growing List", "Someone Else's Public List"}


def test_not_allow_listed_user_gets_a_clear_403(pro, client):
    pro.allow_listed = {"somebody-else"}
    with pytest.raises(ProviderAuthError, match="allow-listed") as error:
        client.saved_tracks()
    assert error.value.status == 403
    assert len(pro.requests_to("GET", "/v1/me/tracks")) == 1  # 403 is never retried


def test_occasional_5xx_do_not_break_a_long_read(pro, client):
    pro.flaky_rate = 0.1
    client.http.max_retries = 8
    assert len(client.saved_tracks()) == 59


def test_spotify_owned_playlists_are_not_found(pro, client):
    with pytest.raises(ProviderNotFound):
        client.playlist_items(pro.ids["playlist_spotify_owned"])
