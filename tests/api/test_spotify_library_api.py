"""`GET /api/v1/spotify/library/<kind>`: the connected account's library, paged like Spotify
pages it, and following from it through the watchlist API (against the fake Spotify)."""

import pytest

from tests.api.conftest import key_client
from tests.fakes.spotify import knobs_set
from tests.providers.spotify_helpers import connect_pro

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pro(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        yield spotify_env


def test_a_viewer_pages_through_saved_tracks_by_following_next(pro):
    viewer = key_client("viewer")
    first = viewer.get("/api/v1/spotify/library/tracks?limit=20")
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["total"] == 59 and body["next_cursor"] == "20" and len(body["results"]) == 20
    assert body["results"][0]["uri"].startswith("spotify:track:")
    pages = 1
    while body["next"]:
        body = viewer.get(body["next"]).json()
        pages += 1
    assert pages == 3 and body["next_cursor"] == "" and len(body["results"]) == 19
    offsets = [call.arg("offset") for call in pro.requests_to("GET", "/v1/me/tracks")]
    assert offsets == ["0", "20", "40"]


def test_playlists_say_which_can_be_followed_and_a_search_narrows_them(pro):
    viewer = key_client("viewer")
    rows = viewer.get("/api/v1/spotify/library/playlists").json()["results"]
    followable = {row["name"]: row["followable"] for row in rows}
    assert followable == {
        "Mixed Bag": True,
        "Shared Mix": True,
        "Growing List": True,
        "Someone Else's Public List": False,
    }
    found = viewer.get("/api/v1/spotify/library/artists", {"q": "björk"}).json()
    assert [row["name"] for row in found["results"]] == ["Björk"]


def test_follow_an_artist_from_the_library_with_its_own_interval(pro):
    viewer, operator = key_client("viewer"), key_client("operator")
    artist = viewer.get("/api/v1/spotify/library/artists", {"q": "sigur"}).json()["results"][0]
    body = {"link": artist["uri"], "sync_minutes": 90, "release_types": ["album"]}
    created = operator.post("/api/v1/watchlists", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["sync_minutes"] == 90 and created.json()["name"] == "Sigur Rós"


def test_someone_elses_playlist_is_refused_with_the_reason(pro):
    viewer, operator = key_client("viewer"), key_client("operator")
    rows = viewer.get("/api/v1/spotify/library/playlists").json()["results"]
    foreign = next(row for row in rows if not row["followable"])
    refused = operator.post(
        "/api/v1/watchlists", {"link": foreign["uri"]}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert "belongs to Someone Else" in refused.json()["error"]["details"]["link"][0]


def test_free_mode_and_unknown_kinds_answer_with_a_reason(spotify_env):
    viewer = key_client("viewer")
    free = viewer.get("/api/v1/spotify/library/playlists")
    assert free.status_code == 502 and "needs PRO mode" in free.json()["error"]["message"]
    assert viewer.get("/api/v1/spotify/library/albums").status_code == 404


def test_a_made_up_cursor_is_a_400(pro):
    viewer = key_client("viewer")
    answer = viewer.get("/api/v1/spotify/library/tracks", {"cursor": "../me"})
    assert answer.status_code == 400 and "cursor" in answer.json()["error"]["details"]
    assert not pro.requests_to("GET", "/v1/me/tracks")
