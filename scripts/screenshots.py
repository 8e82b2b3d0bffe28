"""`make screenshots`: a PNG of every UI panel under docs/ui/, light and dark, from a live Harmony.

Starts Harmony (`manage.py harmony_serve`) in a temporary CONFIG_DIR seeded with demo data
(tests/ui/demo.py), pointed at the fake slskd and fake Spotify, then drives headless Chromium
(Playwright, `HARMONY_CHROMIUM` or /usr/bin/chromium; never downloaded) through each panel.
Needs the test requirements (`make test` installs them).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.slskd import FakeSlskd  # noqa: E402
from tests.fakes.spotify import FakeSpotify  # noqa: E402
from tests.ui.demo import PASSWORD  # noqa: E402
from tests.ui.live import LiveHarmony  # noqa: E402

OUT = REPO / "docs" / "ui"
CHROMIUM = os.environ.get("HARMONY_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# (file name, path, what to do on the page before the picture)
PANELS: list[tuple[str, str, str]] = [
    ("dashboard", "/ui/", ""),
    ("operations", "/ui/operations?q=Björk", ""),
    ("downloads", "/ui/downloads", ""),
    ("job", "/ui/downloads?state=done", "open-panels"),
    ("watchlists", "/ui/watchlists", ""),
    ("library", "/ui/library", ""),
    ("library-album", "/ui/library?q=Homogenic", "open-album"),
    ("dlq", "/ui/dlq", ""),
    ("wanted", "/ui/wanted", ""),
    ("blocklist", "/ui/blocklist", ""),
    ("quarantine", "/ui/library/quarantine", ""),
    ("password", "/ui/account/password", ""),
    ("settings", "/ui/settings", ""),
    ("system", "/ui/system", ""),
]


def _login(page, username: str = "admin") -> None:
    page.goto("/ui/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui/")


def _prepare(page, action: str) -> None:
    if action == "open-job":
        page.click("#history >> text=Starálfur")
    elif action == "open-album":
        page.click("#library-results a[href*='/albums/']")
    elif action == "open-panels":
        page.click("#history >> text=Starálfur")
        page.wait_for_load_state("networkidle")
        page.click("#candidates details.score summary >> nth=0")
        page.click("#rejected-panel summary")
    page.wait_for_load_state("networkidle")


def _shoot(
    browser, base_url: str, *, width: int, scheme: str, panels: list, suffix: str = ""
) -> None:
    context = browser.new_context(
        base_url=base_url, viewport={"width": width, "height": 900}, color_scheme=scheme
    )
    page = context.new_page()
    _login(page)
    for name, path, action in panels:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        _prepare(page, action)
        target = OUT / f"{name}{suffix}.png"
        page.screenshot(path=str(target), full_page=True)
        print(f"wrote {target.relative_to(REPO)}")
    context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harmony-screens-") as tmp:
        root = Path(tmp)
        (root / "downloads").mkdir()
        with (
            FakeSlskd(downloads_dir=root / "downloads", mode="auto") as slskd,
            FakeSpotify() as spotify,
            LiveHarmony(root, slskd=slskd, spotify=spotify) as harmony,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            _shoot(browser, harmony.url, width=1280, scheme="light", panels=PANELS)
            _shoot(browser, harmony.url, width=1280, scheme="dark", panels=PANELS, suffix="-dark")
            _shoot(
                browser, harmony.url, width=390, scheme="light", panels=PANELS[:1], suffix="-phone"
            )
            browser.close()


if __name__ == "__main__":
    main()
