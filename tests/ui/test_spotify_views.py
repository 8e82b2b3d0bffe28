"""The Spotify page's views with Django's test client against the fake Spotify: what each
role sees, the artwork proxy's allow-list, and the answers of Download now and Follow."""

import pytest

from downloads.models import Job, Watchlist
from tests.downloads.ops import no_dispatch  # noqa: F401  (fixture)
from tests.fakes.spotify import knobs_set
from tests.providers.spotify_helpers import connect_pro

HX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def pro(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        yield spotify_env


def test_the_connect_button_is_a_link_that_redirects_to_spotify(admin, spotify_env):
    page = admin.get("/ui/spotify").content.decode()
    assert 'href="/ui/spotify/connect"' in page and 'action="/ui/spotify/connect"' not in page
    answer = admin.get("/ui/spotify/connect")
    assert answer.status_code == 302
    assert answer["Location"].startswith(f"{spotify_env.accounts_url}/authorize?client_id=")


def test_a_viewer_browses_but_gets_no_buttons(viewer, pro):
    page = viewer.get("/ui/spotify").content.decode()
    assert "Mixed Bag" in page and "by Harmony Tester" in page
    assert "Download now" not in page and "Connect Spotify account" not in page


def test_the_next_page_is_rows_only_for_htmx(operator, pro):
    rows = operator.get("/ui/spotify/library?kind=tracks&cursor=50", **HX).content.decode()
    assert rows.count('class="pick"') == 9 and "<html" not in rows and 'id="load-more"' not in rows


@pytest.mark.usefixtures("no_dispatch")
def test_download_now_answers_in_the_row(operator, pro):
    link = f"spotify:album:{pro.ids['album_day']}"
    answer = operator.post("/ui/spotify/download", {"link": link}, **HX).content.decode()
    assert "Queued 3, already queued 0, already owned 0." in answer and "/ui/jobs/" in answer
    again = operator.post("/ui/spotify/download", {"link": link}, **HX).content.decode()
    assert "Already queued." in again
    assert Job.objects.filter(parent__isnull=True).count() == 1


def test_follow_checks_its_fields_and_without_javascript_says_so_on_the_page(operator, pro):
    link = f"spotify:artist:{pro.ids['bjork']}"
    bad = operator.post("/ui/spotify/follow", {"link": link, "sync_minutes": "1"}, **HX)
    assert "Sync every: give a number of minutes from 5 to 10080." in bad.content.decode()
    done = operator.post(
        "/ui/spotify/follow",
        {"link": link, "sync_minutes": "30", "since": "2020-01-01", "release_types": ["album"]},
        follow=True,
    )
    assert "Following Björk: synced every 30 minutes" in done.content.decode()
    assert Watchlist.objects.get().sync_minutes == 30


def test_the_artwork_proxy_fetches_only_spotify_images(viewer, pro):
    pro.serve_artwork()
    image = pro.catalogue.playlists[pro.ids["playlist_mixed"]]["images"][0]["url"]
    answer = viewer.get("/ui/spotify/artwork", {"url": image})
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG") and "max-age=86400" in answer["Cache-Control"]
    for elsewhere in ("http://169.254.169.254/latest/meta-data", "file:///etc/passwd"):
        refused = viewer.get("/ui/spotify/artwork", {"url": elsewhere})
        assert refused.status_code == 302 and refused["Location"].endswith("/img/cover.svg")


def test_a_long_rate_limit_is_explained_in_the_panel(viewer, pro):
    pro.rate_limit("/v1/me/playlists", retry_after=120)  # longer than Harmony waits
    page = viewer.get("/ui/spotify").content.decode()
    assert 'id="library-error"' in page
    assert "Spotify is limiting how often Harmony&#x27;s app may ask" in page
    assert "try again in 120 seconds." in page


@pytest.mark.parametrize("kind", ["playlists", "tracks", "artists"])
def test_every_control_of_your_spotify_has_a_label(admin, pro, kind):
    from tests.ui.test_views import _Controls

    parser = _Controls()
    parser.feed(admin.get(f"/ui/spotify?kind={kind}").content.decode())
    unlabelled = [
        control
        for control in parser.controls
        if not control["_wrapped"] and control.get("id", "-") not in parser.labelled
    ]
    assert parser.controls and not unlabelled, unlabelled
