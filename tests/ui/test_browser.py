"""The UI in headless Chromium against a real Harmony (gunicorn + django-q2 cluster) with the
fake slskd (auto mode) and the fake Spotify: the flows a person goes through, with no console
error and no CSP violation on any panel.

Skipped without Playwright/Chromium, failed instead under HARMONY_REQUIRE_BROWSER=1
(`require_browser` in tests/ui/conftest.py). Never downloads a browser.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.ui.browser import wait_for
from tests.ui.demo import DEAD_LABEL

pytestmark = pytest.mark.browser

PANELS = [
    "/ui/",
    "/ui/operations",
    "/ui/downloads",
    "/ui/watchlists",
    "/ui/spotify",
    "/ui/library",
    "/ui/dlq",
    "/ui/blocklist",
    "/ui/wanted",
    "/ui/library/quarantine",
    "/ui/settings",
    "/ui/system",
]


def test_every_panel_renders_without_console_errors_or_csp_violations(session):
    admin = session("admin")
    for path in PANELS:
        admin.visit(path)
    admin.visit("/ui/library")
    admin.page.click("#library-results >> text=Sigur Rós")  # drill down to the artist
    admin.page.wait_for_load_state("networkidle")
    admin.check_clean("library artist page")


def test_paste_a_link_and_watch_the_download_finish_without_reloading(session, world):
    operator = session("operator")
    page = operator.page
    operator.visit("/ui/operations")
    page.fill("#id_links", f"https://open.spotify.com/track/{world['track_id']}")
    page.click("#links-heading ~ form button[type=submit]")
    result = page.locator("#submit-result")
    result.locator("text=enqueued").first.wait_for()
    job_href = result.locator("a[href^='/ui/jobs/']").first.get_attribute("href")

    page.click("text=Watch the downloads")
    page.wait_for_url(re.compile(r".*/ui/downloads$"))
    page.evaluate("window.__notReloaded = true")
    progress = f"#progress-{job_href.rsplit('/', 1)[1]}"
    slskd = world["slskd"]
    # The transfer is held mid-way while the page catches up, then moved on: the bar must show
    # both positions, whatever the machine's speed (no race between the fake's clock and the
    # page's 2 s poll).
    wait_for(lambda: _transferring(slskd), timeout_s=90, what="the transfer to start")
    slskd.paused.set()
    try:
        first = wait_for(lambda: _bar(page, progress), timeout_s=30, what="the bar to show")
        slskd.advance(5)
        wait_for(lambda: _bar(page, progress) > first, timeout_s=30, what="the bar to advance")
    finally:
        slskd.paused.clear()
    wait_for(lambda: _job_done(page, job_href), timeout_s=90, what="the download to finish")
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    operator.check_clean("downloads while polling")

    operator.visit(job_href)
    assert page.locator("#job-state").inner_text().lower().startswith("done")
    assert page.locator("#candidates tbody tr").count() >= 1
    assert "good_peer" in page.locator("#candidates").inner_text()
    # The delivered FLAC was decoded and verified: the evidence reads as words, with a picture.
    status = page.locator("#job").inner_text()
    assert "Verified audio" in status and "genuine" in status and "LUFS" in status
    spectrogram = page.locator("img.spectrogram")
    spectrogram.wait_for()
    assert page.evaluate(
        "img => img.complete && img.naturalWidth > 0", spectrogram.element_handle()
    )
    operator.check_clean("job page with verified audio")


def test_reverify_the_library_and_list_suspect_files(session):
    operator = session("operator")
    page = operator.page
    operator.visit("/ui/library")
    page.click("text=Re-verify library")
    page.wait_for_load_state("networkidle")
    assert "Re-verify" in page.locator(".messages").inner_text()
    page.evaluate("window.__notReloaded = true")
    # The progress line refreshes itself until the run (in the task cluster) is over.
    page.locator("#verify-run", has_text="Finished").wait_for(timeout=90_000)
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    operator.check_clean("library while re-verifying")

    page.click("#suspect-filter")
    page.wait_for_load_state("networkidle")
    # The demo library's rows have no file on disk: re-verify flags them instead of hiding them.
    suspect = page.locator("#suspect-files")
    assert "missing on disk" in suspect.inner_text()
    assert "Starálfur" in suspect.inner_text()
    operator.check_clean("suspect files")


def _transferring(slskd: Any) -> bool:
    """The fake's transfer is in progress with some bytes delivered (not yet complete)."""
    with slskd.lock:
        return any(
            t.state == "InProgress" and 0 < t.bytes_transferred < t.size
            for t in slskd.transfers.values()
        )


def _bar(page: Any, selector: str) -> float:
    """The progress bar's value as the page shows it now (0 while it is not shown)."""
    if not page.locator(selector).count():
        return 0.0
    return float(page.get_attribute(selector, "value") or 0)


def _job_done(page: Any, job_href: str) -> bool:
    """The live panel no longer lists the job and the history (fetched in page) says done."""
    if page.locator(f"#live a[href='{job_href}']").count():
        return False
    state = page.evaluate(
        "href => fetch(href, {headers: {'HX-Request': 'true'}}).then(r => r.text())"
        ".then(t => (t.match(/id=\"job-state\">([^<]+)</) || [])[1] || '')",
        job_href,
    )
    return state.strip().lower().startswith("done")


def test_open_a_job_and_see_the_candidate_table(session):
    viewer = session("viewer")
    viewer.visit("/ui/downloads?state=done")
    viewer.page.click("#history >> text=Starálfur")
    viewer.page.wait_for_load_state("networkidle")
    table = viewer.page.locator("#candidates")
    assert table.locator("tbody tr").count() == 2
    assert "flac_fan" in table.inner_text()
    viewer.check_clean("job page")


def test_requeue_a_dead_letter(session):
    operator = session("operator")
    page = operator.page
    operator.visit("/ui/dlq")
    row = page.locator("#dead-jobs tr", has_text=DEAD_LABEL)
    row.locator("input[type=checkbox]").check()
    page.click("text=Requeue picked")
    page.wait_for_load_state("networkidle")
    assert "Requeued 1 of 1" in page.locator(".messages").inner_text()
    assert page.locator("#dead-jobs tr", has_text=DEAD_LABEL).count() == 0
    operator.check_clean("dlq after requeue")


def test_a_viewer_sees_no_action_buttons_and_a_forged_post_is_refused(session):
    viewer = session("viewer")
    page = viewer.page
    for path in ("/ui/downloads", "/ui/dlq", "/ui/watchlists", "/ui/operations"):
        viewer.visit(path)
        forms = page.locator("main form[method=post]").count()
        assert forms == 0, f"{path} shows {forms} action form(s) to a viewer"
    assert page.locator("nav >> text=Settings").count() == 0
    # Any id will do: the role check comes before anything is looked up.
    answer = page.request.post(
        "/ui/dlq/requeue", form={"ids": "1"}, headers={"X-CSRFToken": viewer.csrf_token()}
    )
    assert answer.status == 403
    settings_page = page.request.get("/ui/settings")
    assert settings_page.status == 403


def test_the_settings_form_shows_a_validation_error(session):
    admin = session("admin")
    page = admin.page
    admin.visit("/ui/settings")
    page.fill("#id_search-HDM_SEARCH_BUDGET", "0")
    page.click("#search button[type=submit]")
    page.wait_for_load_state("networkidle")
    error = page.locator("#search .errorlist")
    assert error.count() >= 1 and error.first.is_visible()
    page.fill("#id_naming-NAMING_TEMPLATE", "{artist}/{title}.{ext}")
    page.locator("#naming-preview", has_text=".flac").wait_for()
    admin.check_clean("settings with errors")


def test_the_keyboard_reaches_the_skip_link_and_the_navigation(session):
    viewer = session("viewer")
    page = viewer.page
    viewer.visit("/ui/downloads")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "keyboard focus must be visible"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('nav') !== null")
