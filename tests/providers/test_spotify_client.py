"""Contract tests of SpotifyClient in FREE mode (app token) against the fake over real sockets."""

import pytest
import requests

from providers.errors import (
    ProviderAuthError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderUnavailable,
)
from providers.spotify.auth import AppTokenSource
from providers.spotify.client import SpotifyClient
from providers.spotify.links import InvalidSpotifyLink, parse_spotify_link
from providers.types import Artwork
from tests.fakes.base import Reply
from tests.fakes.spotify import knobs_set
from tests.providers.spotify_helpers import free_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_app_tokens():
    AppTokenSource.forget_all()
    yield
    AppTokenSource.forget_all()


@pytest.fixture
def client(spotify_env):
    return free_client()


def test_track_is_normalised(spotify_env, client):
    meta = client.track(spotify_env.ids["track"])
    assert meta.title == "Svefn-g-englar"
    assert meta.artists == ("Sigur Rós",)
    assert (meta.album, meta.album_artist) == ("Ágætis byrjun", "Sigur Rós")
    assert (meta.release_date, meta.release_date_precision) == ("1999-06-12", "day")
    assert (meta.track_number, meta.disc_number) == (2, 1)
    assert meta.isrc.startswith("QZFAK") and len(meta.isrc) == 12
    assert meta.duration_ms and meta.duration_ms >= 120_000
    assert meta.spotify_track_id == spotify_env.ids["track"]
    assert meta.spotify_album_id == spotify_env.ids["album_day"]
    assert meta.spotify_artist_ids == (spotify_env.ids["sigur"],)
    assert meta.largest_artwork().width == 640
    assert client.mode == "free"


def test_app_token_is_client_credentials_and_cached(spotify_env, client):
    client.track(spotify_env.ids["track"])
    client.track(spotify_env.ids["track"])
    tokens = spotify_env.requests_to("POST", "/api/token")
    assert len(tokens) == 1
    assert tokens[0].headers["authorization"].startswith("Basic ")
    assert b"grant_type=client_credentials" in tokens[0].body


def test_album_tracks_pages_and_fetches_isrc_singly(spotify_env, client):
    album_id = spotify_env.ids["album_long"]
    tracks = client.album_tracks(album_id)
    assert len(tracks) == 55
    assert all(t.isrc for t in tracks) and all(t.explicit for t in tracks)
    assert [t.disc_number for t in tracks].count(2) == 27
    assert {(t.disc_number, t.track_total) for t in tracks} == {(1, 28), (2, 27)}
    assert {t.disc_total for t in tracks} == {2}
    assert {t.album for t in tracks} == {"The Big Box"}
    pages = spotify_env.requests_to("GET", f"/v1/albums/{album_id}/tracks")
    assert len(pages) == 2 and pages[0].arg("limit") == "50"
    assert len(spotify_env.requests_to("GET", r"/v1/tracks/.*")) == 55
    assert not spotify_env.requests_to("GET", "/v1/tracks")  # the removed batch endpoint


def test_album_tracks_without_isrc_makes_no_track_calls(spotify_env, client):
    tracks = client.album_tracks(spotify_env.ids["album_month"], fetch_isrc=False)
    assert [t.isrc for t in tracks] == ["", "", ""]
    assert not spotify_env.requests_to("GET", r"/v1/tracks/.*")
    assert tracks[0].release_date_precision == "month"
    assert tracks[0].artwork[0] == Artwork(url=tracks[0].artwork[0].url, width=None, height=None)
    assert tracks[0].largest_artwork() is not None


def test_year_precision_and_non_ascii(spotify_env, client):
    tracks = client.album_tracks(spotify_env.ids["album_year"], fetch_isrc=False)
    assert tracks[0].artists == ("坂本龍一",)
    assert (tracks[0].release_date, tracks[0].release_date_precision) == ("1983", "year")


def test_artist_and_artist_albums_page_at_ten(spotify_env, client):
    radiohead = spotify_env.ids["radiohead"]
    assert client.artist(radiohead).genres == ("alternative rock",)
    albums = client.artist_albums(radiohead)
    assert len(albums) == 8 + 9 + 2 + 1  # albums, singles, compilations, The Big Box
    calls = spotify_env.requests_to("GET", rf"/v1/artists/{radiohead}/albums")
    assert len(calls) == 2 and calls[0].arg("limit") == "10"
    singles = client.artist_albums(radiohead, include_groups=("single",), limit=50)
    assert len(singles) == 9 and {a.album_type for a in singles} == {"single"}


def test_search_clamps_limit_to_ten(spotify_env, client):
    hits = client.search("Box Song", limit=50)
    assert len(hits) == 10
    assert spotify_env.requests_to("GET", "/v1/search")[0].arg("limit") == "10"
    isrc = client.track(spotify_env.ids["track"]).isrc
    assert [t.title for t in client.search(f"isrc:{isrc}")] == ["Svefn-g-englar"]


def test_fake_refuses_limits_above_each_maximum(spotify_env, client):
    token = client.tokens.access_token()
    auth = {"Authorization": f"Bearer {token}"}
    cases = [
        (f"/artists/{spotify_env.ids['radiohead']}/albums", 11),
        ("/search?q=x&type=track", 11),
        (f"/albums/{spotify_env.ids['album_long']}/tracks", 51),
    ]
    for path, limit in cases:
        sep = "&" if "?" in path else "?"
        answer = requests.get(
            f"{spotify_env.api_url}{path}{sep}limit={limit}", headers=auth, timeout=5
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["message"] == "Invalid limit"


def test_unknown_and_invalid_ids(spotify_env, client):
    with pytest.raises(ProviderNotFound):
        client.track("0000000000000000000000")
    for hostile in ("not-an-id", "../me", "4uLU6hMCjMI75M1A2tKUQC?x=1"):
        with pytest.raises(InvalidSpotifyLink, match="not a Spotify id"):
            client.track(hostile)
    assert len(spotify_env.requests_to("GET", r"/v1/tracks/.*")) == 1


def test_429_retry_after_is_honoured(spotify_env, client):
    spotify_env.rate_limit(r"/v1/tracks/.*", retry_after=1)
    assert client.track(spotify_env.ids["track"]).title == "Svefn-g-englar"
    assert spotify_env.gap_after_429(r"/v1/tracks/.*") >= 1.0


def test_429_longer_than_allowed_raises_rate_limited(spotify_env, client):
    spotify_env.rate_limit(r"/v1/tracks/.*", retry_after=3600, quota=True)
    with pytest.raises(ProviderRateLimited) as info:
        client.track(spotify_env.ids["track"])
    assert info.value.retry_after == 3600
    assert len(spotify_env.requests_to("GET", r"/v1/tracks/.*")) == 1


def test_5xx_bursts_are_retried_then_reported(spotify_env, client):
    spotify_env.server_error(r"/v1/tracks/.*", status=502, times=2)
    assert client.track(spotify_env.ids["track"]).title
    spotify_env.server_error(r"/v1/tracks/.*", status=503, times=10)
    with pytest.raises(ProviderUnavailable):
        client.track(spotify_env.ids["track"])


def test_expired_app_token_is_renewed_once(spotify_env, client):
    client.track(spotify_env.ids["track"])
    spotify_env.expire_access_tokens()
    assert client.track(spotify_env.ids["track"]).title
    assert len(spotify_env.requests_to("POST", "/api/token")) == 2


def test_free_mode_refuses_user_endpoints_clearly(client):
    with pytest.raises(ProviderAuthError, match="needs PRO mode"):
        client.saved_tracks()


def test_free_mode_playlist_items_are_refused_with_advice_for_free_mode(spotify_env, client):
    with pytest.raises(ProviderAuthError) as error:
        client.playlist_items(spotify_env.ids["playlist_mixed"])  # the user's own playlist
    message = error.value.message
    assert message.startswith("Reading a playlist's tracks needs a connected Spotify account")
    assert "not even your own" in message and "Connect your account" in message
    assert "Copy the tracks into a playlist of your own" not in message  # PRO-only advice


def test_resolve_links_to_tracks(spotify_env, client):
    ref = parse_spotify_link(
        f"https://open.spotify.com/intl-de/album/{spotify_env.ids['album_day']}?si=x"
    )
    assert [t.title for t in client.resolve(ref)] == [
        "Intro",
        "Svefn-g-englar",
        "Starálfur",
    ]
    local = client.resolve(parse_spotify_link("spotify:local:A:B:C:100"))
    assert local[0].title == "C"


def test_wrong_client_secret_is_a_clear_auth_error(spotify_env):

    with knobs_set(SPOTIFY_MODE="free", SPOTIFY_CLIENT_SECRET="wrong"):
        client = SpotifyClient.from_config()
    with pytest.raises(ProviderAuthError, match="SPOTIFY_CLIENT_SECRET"):
        client.track(spotify_env.ids["track"])


def test_malformed_body_names_the_endpoint(spotify_env, client):
    spotify_env.inject("GET", r"/v1/tracks/.*", Reply.json({"id": "x", "name": 5}))
    with pytest.raises(ProviderResponseError, match="GET /tracks/"):
        client.track(spotify_env.ids["track"])
    spotify_env.inject("GET", r"/v1/tracks/.*", Reply.html(200, "Oops"))
    with pytest.raises(ProviderResponseError, match="HTML"):
        client.track(spotify_env.ids["track"])
