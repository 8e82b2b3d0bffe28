"""A person configures a notification target and presses "Send test", in real Chromium
against a live Harmony, with an Apprise `json://` receiver on loopback: no console error, no
CSP violation.

Skipped without Playwright/Chromium, failed instead under HARMONY_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.receiver import FakeReceiver
from tests.fakes.slskd import FakeSlskd
from tests.fakes.spotify import FakeSpotify
from tests.ui.browser import CHROMIUM_ARGS, Session, wait_for
from tests.ui.live import LiveHarmony

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(require_browser, tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("live-integrations")
    (root / "downloads").mkdir()
    with (
        FakeSlskd(downloads_dir=root / "downloads") as slskd,
        FakeSpotify() as spotify,
        FakeReceiver() as receiver,
        LiveHarmony(root, slskd=slskd, spotify=spotify) as harmony,
    ):
        yield {"harmony": harmony, "receiver": receiver, "chromium": require_browser}


@pytest.fixture
def admin(live) -> Iterator[Session]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=live["chromium"], args=CHROMIUM_ARGS)
        session = Session(chromium, live["harmony"].url).login("admin")
        yield session
        session.close()
        chromium.close()


def test_configure_a_notification_target_and_send_a_test(admin, live):
    page, receiver = admin.page, live["receiver"]
    admin.visit("/ui/")
    page.click("nav >> text=Integrations")
    page.wait_for_url(re.compile(r".*/ui/integrations$"))
    admin.check_clean("integrations page")

    page.select_option("#id_kind", "apprise")
    page.fill("#id_name", "phone")
    page.fill("#id_url", receiver.apprise_url("/harmony"))
    page.check("#integration-form >> text=Job failed (dead-letter queue)")
    page.check("#integration-form >> text=Track imported")
    page.click("#integration-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Added phone" in page.locator(".messages").inner_text()
    row = page.locator("#integrations tr", has_text="phone")
    assert "Track imported, Job failed (dead-letter queue)" in row.inner_text()
    assert "json://127.0.0.1" in row.inner_text()

    page.evaluate("window.__notReloaded = true")
    row.locator("text=Send test").click()
    result = row.locator("[id^=test-result-]")
    result.locator("text=Test message sent.").wait_for()
    assert page.evaluate("window.__notReloaded === true"), "the result was swapped in place"

    wait_for(lambda: receiver.received, timeout_s=10, what="the test message")
    message = receiver.received[0]
    assert message.path == "/harmony"
    assert message.json()["title"] == "Harmony: test message"
    admin.check_clean("integrations after send test")

    admin.visit("/ui/system")
    assert "no failures" in page.locator("#integration-problems").inner_text()
