"""Browsing the connected user's library page by page, against the fake over real sockets."""

import pytest

from providers.errors import ProviderAuthError
from providers.spotify.browse import SEARCH_SCAN_PAGES, library_page
from providers.spotify.client import SpotifyClient
from tests.fakes.spotify import knobs_set
from tests.fakes.spotify_data import USER
from tests.providers.spotify_helpers import connect_pro, fast, free_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pro(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        yield spotify_env


@pytest.fixture
def client(pro):
    return fast(SpotifyClient.from_config())


def _save_many(fake, count: int) -> None:
    """`count` more saved tracks, as a long-time listener has."""
    catalogue = fake.catalogue
    artist = catalogue.add_artist("Prolific")
    album = catalogue.add_album("Everything", [artist], release_date="2020", precision="year")
    for number in range(count):
        track = catalogue.add_track(album, f"Saved {number:04d}", [artist], track_number=number)
        catalogue.saved[USER].append(("2026-01-01T00:00:00Z", track))


def test_playlists_show_owner_count_artwork_and_whether_they_can_be_followed(pro, client):
    page = library_page(client, "playlists")
    rows = {entry.name: entry for entry in page.entries}
    assert set(rows) == {"Mixed Bag", "Shared Mix", "Growing List", "Someone Else's Public List"}
    assert page.total == 4 and page.next_cursor == ""
    mixed = rows["Mixed Bag"]
    assert mixed.detail == "Harmony Tester" and mixed.count == 7 and mixed.followable
    assert mixed.image.startswith("https://i.scdn.co/")
    assert mixed.uri == f"spotify:playlist:{pro.ids['playlist_mixed']}"
    assert rows["Shared Mix"].followable  # collaborative: its items are readable
    foreign = rows["Someone Else's Public List"]
    assert not foreign.followable and foreign.detail == "Someone Else"


def test_thousands_of_saved_tracks_are_read_one_page_per_request(pro, client):
    _save_many(pro, 3000)
    first = library_page(client, "tracks")
    assert len(first.entries) == 50 and first.total == 3059 and first.next_cursor == "50"
    second = library_page(client, "tracks", cursor=first.next_cursor)
    assert second.next_cursor == "100"
    assert {e.id for e in first.entries}.isdisjoint({e.id for e in second.entries})
    calls = pro.requests_to("GET", "/v1/me/tracks")
    assert [(c.arg("offset"), c.arg("limit")) for c in calls] == [("0", "50"), ("50", "50")]
    last = library_page(client, "tracks", cursor="3050")
    assert len(last.entries) == 9 and last.next_cursor == ""


def test_a_search_reads_a_bounded_number_of_pages_and_says_where_to_go_on(pro, client):
    _save_many(pro, 3000)
    hits = library_page(client, "tracks", query="starálfur")  # near the start of the list
    assert [e.name for e in hits.entries] == ["Starálfur"]
    pro.requests.clear()
    missing = library_page(client, "tracks", query="no such song")
    assert missing.entries == [] and missing.scanned == SEARCH_SCAN_PAGES * 50
    assert missing.next_cursor == str(SEARCH_SCAN_PAGES * 50)
    assert len(pro.requests_to("GET", "/v1/me/tracks")) == SEARCH_SCAN_PAGES


def test_followed_artists_page_by_cursor(pro, client):
    first = library_page(client, "artists", limit=20)
    assert [e.name for e in first.entries[:2]] == ["Sigur Rós", "Björk"]
    assert first.entries[0].detail == "post-rock, icelandic" and first.total == 62
    second = library_page(client, "artists", cursor=first.next_cursor, limit=20)
    assert second.entries[0].name == "Followed Artist 019"
    assert pro.requests_to("GET", "/v1/me/following")[1].arg("after") == first.entries[-1].id
    found = library_page(client, "artists", query="artist 060")
    assert [e.name for e in found.entries] == ["Followed Artist 060"]


def test_a_rate_limit_is_waited_out(pro, client):
    pro.rate_limit("/v1/me/playlists", retry_after=1)
    assert len(library_page(client, "playlists").entries) == 4
    assert pro.gap_after_429("/v1/me/playlists") >= 1.0


def test_free_mode_says_the_library_needs_an_account(spotify_env):
    with pytest.raises(ProviderAuthError, match="needs PRO mode"):
        library_page(free_client(), "playlists")
    assert not spotify_env.requests_to("GET", "/v1/me/.*")
