"""Browser helpers of the UI journeys: Chromium's flags, a signed-in tab that collects console
errors and CSP violations, and polling with a deadline."""

from __future__ import annotations

import re
import time
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
