"""A first run in headless Chromium, from an empty CONFIG_DIR to a first track in the library
without a terminal: the one setup link the log prints, the sign-in page that says where it is,
the dashboard's checklist ticking itself, files dropped into the import folder picked up by the
schedule, and the Quarantine panel's retry, release and delete."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.audio import cached_audio
from tests.fakes.slskd import FakeSlskd
from tests.fakes.spotify import FakeSpotify
from tests.ui.browser import Session, wait_for
from tests.ui.live import LiveHarmony

pytestmark = pytest.mark.browser

PASSWORD = "first-admin-password-7"
SETUP_LINK = re.compile(r"http://127\.0\.0\.1:\d+/ui/setup/[A-Za-z0-9_-]+/")
TAGS = {"title": "First Light", "artist": "Drop Artist", "album": "Drop Album", "date": "2020"}


@pytest.fixture(scope="module")
def world(require_browser, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A Harmony that has never run: no database, no user (the module's own `world`)."""
    root = tmp_path_factory.mktemp("first-run")
    (root / "downloads").mkdir()
    with (
        FakeSlskd(downloads_dir=root / "downloads", mode="auto") as slskd,
        FakeSpotify() as spotify,
    ):
        harmony = LiveHarmony(
            root, slskd=slskd, spotify=spotify, extra_env={"IMPORT_SETTLE_S": "1"}
        )
        harmony.start(seed="none")
        try:
            yield {"harmony": harmony, "chromium": require_browser, "root": root}
        finally:
            harmony.stop()


def _drop(world: dict[str, Any], name: str, **params: Any) -> None:
    """Copy a file into the import folder the way a person would: written aside, then moved."""
    staging = world["root"] / "staging"
    staging.mkdir(exist_ok=True)
    if params:
        source = cached_audio(world["root"] / "cache", staging / name, "flac", **params)
    else:
        source = staging / name
        source.write_bytes(b"not audio at all" * 200)
    target = world["root"] / "downloads" / "import"
    target.mkdir(exist_ok=True)
    shutil.move(source, target / name)


def test_first_run_to_first_track_without_a_terminal(browser, world):
    harmony = world["harmony"]
    link = wait_for(
        lambda: SETUP_LINK.findall(harmony.log.read_text()), what="the setup link in the log"
    )
    assert len(set(link)) == 1, f"one setup link, printed once: {link}"

    person = Session(browser, harmony.url)
    page = person.page
    page.on("dialog", lambda dialog: dialog.accept())
    person.visit("/ui/")
    assert "/ui/login/" in page.url
    help_text = page.locator("#first-run-help").inner_text()
    assert "setup link" in help_text and "HARMONY_ADMIN_USER" in help_text

    page.goto(link[0])
    page.fill("#id_username", "owner")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/$"))
    steps = page.locator("#first-steps")
    assert "Done" in steps.locator("#step-admin").inner_text()
    assert "Done" in steps.locator("#step-slskd").inner_text()  # the fake slskd answers
    assert "To do" in steps.locator("#step-music").inner_text()
    assert steps.locator("#step-music a").get_attribute("href") == "/ui/operations"
    person.check_clean("first dashboard")

    _drop(world, "01 First Light.flac", duration_s=3, tags=TAGS)
    _drop(world, "no tags.flac", duration_s=3, frequency_hz=550)
    _drop(world, "broken.flac")
    # The dashboard ticks itself (no reload): the checklist is done and goes away.
    wait_for(lambda: page.locator("#first-steps").count() == 0, timeout_s=150, what="the import")
    quarantine = page.locator("#dashboard-quarantine")
    wait_for(lambda: "2 files in the quarantine" in quarantine.inner_text(), what="quarantine")

    page.click("nav >> text=Library")
    page.locator("#library-results >> text=Drop Artist").wait_for()

    page.click("text=the quarantine")
    page.wait_for_url(re.compile(r".*/ui/library/quarantine$"))
    rows = page.locator("#quarantined-files tbody tr")
    untagged = rows.filter(has_text="no tags.flac")
    assert "It has no title or artist tag to name it by." in untagged.inner_text()
    assert "It cannot be read as audio." in rows.filter(has_text="broken.flac").inner_text()

    untagged.locator("button:text('Retry import')").click()
    page.wait_for_load_state("networkidle")
    assert "still in the quarantine" in page.locator(".messages").inner_text()

    rows.filter(has_text="broken.flac").locator("button:text('Delete')").click()
    page.wait_for_load_state("networkidle")
    assert "Deleted broken.flac" in page.locator(".messages").inner_text()

    rows.filter(has_text="no tags").locator("button:text('Release to library')").click()
    page.wait_for_load_state("networkidle")
    assert "imported into the library" in page.locator(".messages").inner_text()
    assert "The quarantine is empty" in page.locator("#quarantine").inner_text()
    person.check_clean("quarantine after its actions")
    person.close()
