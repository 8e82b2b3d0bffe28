"""Shared pieces of the browser tests: Chromium's flags, a signed-in tab that records every
console error and CSP violation (`check_clean` fails the test on any), polling with a deadline
and the Spotify flows' live world."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.ui.demo import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Records CSP violations in the page; init scripts run outside the page's CSP.
CSP_LISTENER = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


class Session:
    """One signed-in browser tab that collects console errors and CSP violations."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(base_url=base_url)
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def login(self, username: str) -> Session:
        self.page.goto("/ui/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/ui/$"))
        return self

    def visit(self, path: str) -> None:
        self.page.goto(path)
        self.page.wait_for_load_state("networkidle")
        self.check_clean(path)

    def check_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__csp || []")
        assert not violations, f"CSP violations on {where}: {violations}"
        assert not self.errors, f"console errors on {where}: {self.errors}"

    def csrf_token(self) -> str:
        headers = self.page.get_attribute("body", "hx-headers") or ""
        return re.search(r'"X-CSRFToken": "([^"]+)"', headers).group(1)

    def close(self) -> None:
        self.context.close()


def wait_for(predicate: Any, *, timeout_s: float = 60.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy, or fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def spotify_world(root: Path, chromium: str, *, callback_busy: bool) -> Iterator[dict[str, Any]]:
    """A users-only Harmony, the fake slskd and the fake Spotify serving its artwork.

    The fake app's redirect URI is Harmony's loopback callback listener; with `callback_busy`
    another program holds that port first, as on a machine where Jupyter runs, so Spotify's
    redirect cannot reach Harmony and the login must be finished by pasting the address.
    """
    from tests.fakes.slskd import FakeSlskd
    from tests.fakes.spotify import FakeSpotify
    from tests.ui.live import LiveHarmony, free_port

    (root / "downloads").mkdir()
    bind = f"127.0.0.1:{free_port()}"
    callback = f"http://{bind}/callback"
    with contextlib.ExitStack() as stack:
        if callback_busy:  # bound, never listening: the browser's connection is refused
            squatter = stack.enter_context(socket.socket())
            squatter.bind(("127.0.0.1", int(bind.rsplit(":", 1)[1])))
        slskd = stack.enter_context(
            FakeSlskd(downloads_dir=root / "downloads", mode="auto", auto_interval=0.4)
        )
        spotify = stack.enter_context(FakeSpotify(redirect_uris=(callback,)))
        spotify.serve_artwork()
        extra = {"OAUTH_CALLBACK_BIND": bind, "SPOTIFY_REDIRECT_URI": callback}
        harmony = LiveHarmony(root, slskd=slskd, spotify=spotify, extra_env=extra)
        stack.callback(harmony.stop)
        harmony.start(seed="users")
        yield {"harmony": harmony, "spotify": spotify, "callback": callback, "chromium": chromium}


def disconnect(admin: Session) -> None:
    """Disconnect Spotify on the Spotify page as a person would (confirming the dialog)."""
    page = admin.page
    admin.visit("/ui/spotify")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#spotify-login button:has-text('Disconnect')")
    page.wait_for_load_state("networkidle")
    assert "disconnected" in page.locator(".messages").inner_text()
    assert "no account connected" in page.locator("#spotify-state").inner_text()


HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling"


def htmx_settled(page: Any) -> None:
    """Wait until htmx has swapped and settled: new buttons act through htmx only after that.

    (Polled with `evaluate`: `wait_for_function` evaluates a string, which the CSP forbids.)
    """
    script = f"!document.querySelector({HTMX_BUSY!r})"
    wait_for(lambda: page.evaluate(script), timeout_s=10, what="htmx to settle")
