"""`make screenshots`: a PNG of every UI panel (light and dark) and flow under docs/ui/.

Starts Harmony (`manage.py harmony_serve`) in a temporary CONFIG_DIR seeded with demo data
(tests/ui/demo.py), pointed at the fake slskd and fake Spotify, then drives headless Chromium
(Playwright, `HARMONY_CHROMIUM` or /usr/bin/chromium; never downloaded) through each panel.
Then a second Harmony, with the Spotify login's loopback callback, for the Spotify and
Soulseek flows (docs/ui/spotify.md, docs/ui/soulseek.md); `screenshots.py flows` takes only
those. Needs the test requirements (`make test` installs them).
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
from tests.ui.browser import htmx_settled, spotify_world, wait_for  # noqa: E402
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


def _save(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    target = OUT / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    print(f"wrote {target.relative_to(REPO)}")


def _spotify_flows(browser, root: Path) -> None:
    """The Spotify page's flows (docs/ui/spotify.md) and Soulseek's (docs/ui/soulseek.md)."""
    root.mkdir(parents=True)
    with spotify_world(root, CHROMIUM, callback_busy=False) as world:
        context = browser.new_context(
            base_url=world["harmony"].url, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        _login(page)
        page.goto("/ui/spotify")
        _save(page, "spotify-connect")
        page.click("#spotify-connect")  # → the fake consent page → the loopback callback
        _save(page, "spotify-connected")
        page.goto("/ui/spotify")
        images = "Array.from(document.querySelectorAll('#library-list img')).every(i => i.complete)"
        wait_for(lambda: page.evaluate(images), what="the artwork")
        _save(page, "spotify-playlists")
        page.click("#tab-tracks")
        page.locator("#tab-tracks[aria-current=page]").wait_for()
        page.fill("#library-q", "box song 1")
        page.click("#library form[role=search] button")
        page.locator("#library-list .pick", has_text="Box Song 10").wait_for()
        htmx_settled(page)
        first = page.locator("#library-list .pick").first
        first.locator("button:has-text('Download now')").click()
        first.locator(".pick-result a").wait_for()
        _save(page, "spotify-saved-tracks")
        page.click("#tab-artists")
        page.locator("#tab-artists[aria-current=page]").wait_for()
        page.fill("#library-q", "sigur")
        page.click("#library form[role=search] button")
        page.locator("#library-list .pick", has_text="Sigur Rós").wait_for()
        htmx_settled(page)
        artist = page.locator("#library-list .pick").filter(has_text="Sigur Rós")
        artist.locator("summary").click()
        _save(page, "spotify-follow-artist")
        page.goto("/ui/spotify")
        mixed = page.locator("#library-list .pick").filter(has_text="Mixed Bag")
        mixed.locator("summary").click()
        mixed.locator("button:has-text('Follow Mixed Bag')").click()
        mixed.locator(".pick-result a").click()
        page.goto("/ui/watchlists")
        page.locator("article", has_text="Mixed Bag").locator("button:has-text('Sync now')").click()
        synced = "fetch('/ui/watchlists').then(r => r.text()).then(t => t.includes('new 5'))"
        wait_for(lambda: page.evaluate(synced), what="the first sync")
        page.goto("/ui/watchlists")
        _save(page, "spotify-watchlists")
        page.locator("article", has_text="Mixed Bag").locator("a:has-text('sync history')").click()
        _save(page, "spotify-watchlist-syncs")
        page.goto("/ui/settings#slskd")
        page.click("#slskd button:has-text('Test connection')")
        page.locator("#slskd-test-result:not(:empty)").wait_for()
        page.locator("#slskd").screenshot(path=str(OUT / "soulseek-settings.png"))
        print("wrote docs/ui/soulseek-settings.png")
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    only_flows = sys.argv[1:] == ["flows"]
    with tempfile.TemporaryDirectory(prefix="harmony-screens-") as tmp, sync_playwright() as pw:
        root = Path(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        if not only_flows:
            _panels(browser, root / "panels")
        _spotify_flows(browser, root / "flows")
        browser.close()


def _panels(browser, root: Path) -> None:
    (root / "downloads").mkdir(parents=True)
    with (
        FakeSlskd(downloads_dir=root / "downloads", mode="auto") as slskd,
        FakeSpotify() as spotify,
        LiveHarmony(root, slskd=slskd, spotify=spotify) as harmony,
    ):
        _shoot(browser, harmony.url, width=1280, scheme="light", panels=PANELS)
        _shoot(browser, harmony.url, width=1280, scheme="dark", panels=PANELS, suffix="-dark")
        _shoot(browser, harmony.url, width=390, scheme="light", panels=PANELS[:1], suffix="-phone")


if __name__ == "__main__":
    main()
