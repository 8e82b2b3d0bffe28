"""Connecting Spotify with one click in real Chromium: Settings → Spotify's consent page (the
fake accounts service) → Harmony's loopback callback listener → the "connected as" page, then
disconnecting; no console error and no CSP violation on any step (`form-action 'self'` used
to block the old connect form's cross-origin redirect)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ui.browser import disconnect, spotify_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(require_browser, tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("spotify-connect")
    with spotify_world(root, require_browser, callback_busy=False) as world:
        yield world


def test_connect_with_one_click_through_the_loopback_callback(session, world):
    admin = session("admin")
    page = admin.page
    admin.visit("/ui/settings")
    assert "no account connected" in page.locator("#spotify-state").inner_text()
    page.click("#spotify-connect")  # Settings → Spotify's consent page → the callback
    page.wait_for_url(re.compile(re.escape(world["callback"]) + r"\?code="))
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Spotify connected"
    assert page.locator("#connected-as").inner_text() == "Harmony Tester"
    assert page.locator(".next-steps li").count() == 3
    admin.check_clean("the connected page on the callback listener")

    authorize = world["spotify"].requests_to("GET", "/authorize")
    assert len(authorize) == 1 and authorize[0].arg("code_challenge_method") == "S256"
    page.goto("/ui/spotify")  # back on Harmony's own address
    page.wait_for_load_state("networkidle")
    assert "connected as Harmony Tester" in page.locator("#spotify-state").inner_text()
    admin.check_clean("the Spotify page once connected")
    disconnect(admin)
    admin.check_clean("the Spotify page after disconnecting")
