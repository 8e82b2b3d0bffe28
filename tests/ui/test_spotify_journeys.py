"""Spotify in the browser, as a person goes through it, in real Chromium against a real Harmony
and the fake Spotify accounts service and Web API. Here the callback port is taken by another
program, so Harmony runs without its loopback listener: connect by pasting the redirected
address; browse "Your Spotify", download and follow; see what a sync did; FREE mode's refusal.
No console error and no CSP violation on any step (test_spotify_connect.py: the one-click
loopback login).

The tests share one Harmony per xdist worker; each sets up the state it needs through the
browser (the `connected` fixture logs in by pasting when no account is connected).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.browser import Session, disconnect, htmx_settled, spotify_world, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(require_browser, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Harmony whose callback port is taken: logging in means pasting the redirected address."""
    root = tmp_path_factory.mktemp("spotify-journeys")
    with spotify_world(root, require_browser, callback_busy=True) as world:
        yield world


def paste_login(admin: Session, world: dict[str, Any]) -> None:
    """Connect as on a remote server: approve on Spotify, then paste where the browser ended."""
    page = admin.page
    admin.visit("/ui/spotify")
    callback = re.compile(re.escape(world["callback"]) + r"\?.*")
    with page.expect_request(callback) as redirected:
        page.click("#spotify-connect")  # → Spotify → a callback address nobody answers
    ended_on = redirected.value.url  # what the person copies from the address bar
    page.wait_for_load_state()
    admin.errors.clear()  # Chromium's own "cannot reach" page is not Harmony's
    admin.visit("/ui/spotify")
    page.fill("#id_redirect_url", ended_on)
    page.click("#manual-login button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/spotify/connected$"))
    assert page.locator("#connected-as").inner_text() == "Harmony Tester"
    admin.check_clean("manual completion")


@pytest.fixture
def connected(session, world) -> None:
    """Spotify connected (through the browser) whatever an earlier test left behind."""
    admin = session("admin")
    admin.visit("/ui/spotify")
    if "connected as" not in admin.page.locator("#spotify-state").inner_text():
        paste_login(admin, world)


def test_connect_a_remote_server_by_pasting_the_redirected_address(session, world):
    admin = session("admin")
    page = admin.page
    admin.visit("/ui/spotify")
    # Harmony on another machine (here: the port is taken): no callback listener answers.
    assert "paste the address" in page.locator("#callback-busy").inner_text()
    page.fill("#id_redirect_url", world["callback"] + "?code=made-up&state=tampered")
    page.click("#manual-login button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Unknown login state" in page.locator("#redirect-errors").inner_text()
    admin.check_clean("a refused paste")
    paste_login(admin, world)


def test_browse_your_spotify_download_and_follow(connected, session, world):
    operator = session("operator")
    page = operator.page
    operator.visit("/ui/spotify")
    assert page.locator("#spotify-connect").count() == 0  # connecting is for admins
    rows = page.locator("#library-list .pick")
    assert rows.count() == 4
    mixed = rows.filter(has_text="Mixed Bag")
    assert "by Harmony Tester · 7 tracks" in mixed.inner_text()
    wait_for(
        lambda: page.evaluate(
            "Array.from(document.querySelectorAll('#library-list img'))"
            ".every(i => i.complete && i.naturalWidth > 0)"
        ),
        timeout_s=20,
        what="the artwork to load through Harmony",
    )
    foreign = rows.filter(has_text="Someone Else's Public List")
    assert "only playlists you own or collaborate on" in foreign.inner_text()
    assert foreign.locator("button").count() == 0

    page.click("#tab-tracks")
    page.locator("#tab-tracks[aria-current=page]").wait_for()
    assert page.locator("#library-list .pick").count() == 50
    page.click("#load-more a")
    wait_for(lambda: page.locator("#library-list .pick").count() == 59, what="the next page")
    offsets = [r.arg("offset") for r in world["spotify"].requests_to("GET", "/v1/me/tracks")]
    assert offsets[-2:] == ["0", "50"]  # one page per click, never the whole library at once

    page.fill("#library-q", "Starálfur")
    page.click("#library form[role=search] button")
    wait_for(lambda: page.locator("#library-list .pick").count() == 1, what="the search")
    htmx_settled(page)
    track = page.locator("#library-list .pick")
    track.locator("button:has-text('Download now')").click()
    track.locator(".pick-result a:has-text('see the job')").wait_for()
    # "already queued" when the Mixed Bag watchlist of another test got there first
    assert re.search(r"Queued 1|already queued 1", track.locator(".pick-result").inner_text())

    page.click("#tab-artists")
    page.locator("#tab-artists[aria-current=page]").wait_for()
    htmx_settled(page)
    sigur = page.locator("#library-list .pick").filter(has_text="Sigur Rós")
    sigur.locator("summary").click()
    sigur.locator("input[name=sync_minutes]").fill("60")
    sigur.locator("input[name=since]").fill("1990-01-01")
    for box in sigur.locator("input[name=release_types]").all():
        box.set_checked(box.get_attribute("value") == "album")
    sigur.locator("button:has-text('Follow Sigur Rós')").click()
    result = sigur.locator(".pick-result")
    result.locator("a:has-text('see its syncs')").wait_for()
    assert "synced every 60 minutes" in result.inner_text()
    operator.check_clean("browsing and picking")


def test_follow_a_playlist_and_see_what_each_sync_did(connected, session, world):
    operator = session("operator")
    page = operator.page
    operator.visit("/ui/spotify")
    mixed = page.locator("#library-list .pick").filter(has_text="Mixed Bag")
    mixed.locator("summary").click()
    mixed.locator("button:has-text('Follow Mixed Bag')").click()
    mixed.locator(".pick-result a:has-text('see its syncs')").click()
    page.wait_for_url(re.compile(r".*/ui/watchlists/\d+/syncs$"))
    m3u8 = Path(page.locator("#m3u8-path").inner_text())

    operator.visit("/ui/watchlists")
    card = page.locator("article", has_text="Mixed Bag")
    card.locator("button:has-text('Sync now')").click()
    page.wait_for_load_state("networkidle")

    def synced() -> bool:
        page.reload()
        return "new 5" in page.locator("article", has_text="Mixed Bag").inner_text()

    wait_for(synced, timeout_s=60, what="the playlist's first sync")
    line = page.locator("article", has_text="Mixed Bag").locator("dd[id^=last-sync]")
    assert re.search(r"new 5, owned 0, queued \d, done \d, failed \d", line.inner_text())
    line.locator("a:has-text('sync history')").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#sync-history tbody tr").count() == 1
    jobs = page.locator("#sync-items a[href^='/ui/jobs/']")
    assert jobs.count() == 5  # Intro, Svefn-g-englar, Starálfur, Kitchen Song, Duet
    assert m3u8.is_file() and m3u8.read_text().startswith("#EXTM3U\n#PLAYLIST:Mixed Bag")
    jobs.first.click()
    page.wait_for_url(re.compile(r".*/ui/jobs/\d+$"))
    operator.check_clean("a watchlist's sync history")


def test_free_mode_refuses_a_playlist_watchlist_with_the_reason(connected, session, world):
    admin = session("admin")
    disconnect(admin)  # auto mode without an account is FREE mode
    page = admin.page
    assert "FREE mode" in page.locator("#free-heading").inner_text()
    admin.visit("/ui/watchlists")
    playlist = world["spotify"].ids["playlist_mixed"]
    page.fill("#id_link", f"https://open.spotify.com/playlist/{playlist}")
    page.click("#add-watch-heading ~ form[method=post]:has(#id_link) button[type=submit]")
    page.wait_for_load_state("networkidle")
    errors = page.locator("#link-errors li")
    assert errors.count() == 1
    text = errors.inner_text()
    assert text.startswith("Reading a playlist's tracks needs a connected Spotify account")
    assert "Error" not in text and text.endswith("Exportify CSV.")
    admin.check_clean("FREE mode's refusal")
