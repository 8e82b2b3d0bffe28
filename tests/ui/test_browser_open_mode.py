"""Open mode in real Chromium: a first start with no account, an attacking page, the first admin.

A person opens Harmony before creating an account and sees the open-API banner; a web page on
another origin, opened in the same browser, tries to mint an admin key through the open API
and fails; the person then follows the setup link from the start-up log, creates the first
admin, is told the API is closed, and the banner is gone. No console error and no CSP
violation on Harmony's pages. Skipped without Chromium unless HARMONY_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.slskd import FakeSlskd
from tests.fakes.spotify import FakeSpotify
from tests.ui.browser import CHROMIUM_ARGS, Session
from tests.ui.live import LiveHarmony

pytestmark = pytest.mark.browser

PASSWORD = "first-admin-pass-9d8c"
EVIL_PAGE = """<!doctype html><html><body><script>
const target = "{target}";
const body = JSON.stringify({{name: "stolen", role: "admin"}});
window.results = [];
// A "simple" request (no preflight) and a JSON one (preflighted): both must fail.
fetch(target + "/api/v1/keys", {{method: "POST", mode: "no-cors",
  headers: {{"Content-Type": "text/plain"}}, body}})
  .then(() => window.results.push("simple-sent"), () => window.results.push("simple-failed"))
  .then(() => fetch(target + "/api/v1/keys", {{method: "POST",
    headers: {{"Content-Type": "application/json"}}, body}}))
  .then(r => window.results.push("json-" + r.status), () => window.results.push("json-failed"));
</script></body></html>"""


@pytest.fixture(scope="module")
def first_start(require_browser, tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("open-harmony")
    (root / "downloads").mkdir()
    with FakeSlskd(downloads_dir=root / "downloads") as slskd, FakeSpotify() as spotify:
        harmony = LiveHarmony(root, slskd=slskd, spotify=spotify).start(seed="none")
        try:
            yield {"harmony": harmony, "chromium": require_browser}
        finally:
            harmony.stop()


@pytest.fixture
def evil_site(first_start) -> Iterator[str]:
    """A page on another origin (another port) that attacks Harmony's open API."""
    page = EVIL_PAGE.format(target=first_start["harmony"].url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()


def keys_on_server(harmony: LiveHarmony) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{harmony.url}/api/v1/keys", timeout=10) as answer:
        return json.load(answer)["results"]


def setup_path(harmony: LiveHarmony) -> str:
    paths = re.findall(r"/ui/setup/[A-Za-z0-9_-]+/", harmony.log.read_text())
    assert paths, "harmony_serve logged no setup link"
    return paths[-1]


def test_first_start_banner_attack_refused_then_first_admin_closes_the_api(first_start, evil_site):
    from playwright.sync_api import sync_playwright

    harmony = first_start["harmony"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=first_start["chromium"], args=CHROMIUM_ARGS
        )
        try:
            session = Session(browser, harmony.url)
            session.visit("/ui/login/")
            banner = session.page.locator("#api-open-banner")
            assert banner.is_visible() and "The API is open" in banner.inner_text()

            attacker = browser.new_context().new_page()
            attacker.goto(evil_site)
            attacker.wait_for_function("window.results.length === 2")
            assert attacker.evaluate("window.results")[1] == "json-failed"  # preflight refused
            assert keys_on_server(harmony) == []  # and the simple request created nothing

            session.visit(setup_path(harmony))
            session.page.fill("#id_username", "root")
            session.page.fill("#id_password1", PASSWORD)
            session.page.fill("#id_password2", PASSWORD)
            session.page.click("button[type=submit]")
            session.page.wait_for_url(re.compile(r".*/ui/$"))
            session.page.wait_for_load_state("networkidle")
            assert "no longer open" in session.page.locator(".messages").inner_text()
            assert session.page.locator("#api-open-banner").count() == 0
            session.check_clean("/ui/ after setup")
            with pytest.raises(urllib.error.HTTPError) as refused:
                keys_on_server(harmony)
            assert refused.value.code == 401
            session.close()
        finally:
            browser.close()
