"""Operator journeys of issue 16 in headless Chromium against a live Harmony (tests/ui/conftest.py
`world`): the job page, the blocklist, the truthful words. Each test clicks like a person and
ends with no console error and no CSP violation."""

from __future__ import annotations

import re

import pytest

from tests.ui.browser import wait_for
from tests.ui.demo import DEAD_LABEL, PASSWORD, RETRY_LABEL

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-brand-new-password-42"

# Counts htmx's swaps and requests in the page (an init script runs outside the page's CSP).
HTMX_COUNTER = (
    "window.__swaps = 0; window.__requests = 0;"
    "document.addEventListener('htmx:afterSwap', () => window.__swaps++);"
    "document.addEventListener('htmx:beforeRequest', () => window.__requests++);"
)


def _open_job(session, label: str):
    operator = session("operator")
    operator.context.add_init_script(HTMX_COUNTER)
    operator.visit("/ui/downloads")
    operator.page.click(f"#main a:text-is('{label}')")
    operator.page.wait_for_url(re.compile(r".*/ui/jobs/\d+$"))
    return operator


def test_open_panels_stay_open_while_a_live_job_refreshes_and_a_rejected_file_can_be_chosen(
    session,
):
    operator = _open_job(session, RETRY_LABEL)
    page = operator.page
    assert page.locator("#job-state").inner_text() == "Waiting to retry"
    page.click("#candidates details.score summary >> nth=0")
    page.click("#rejected-panel summary")
    why = page.locator("#candidates details.score").first
    assert "Quality" in why.inner_text() and "tier" not in why.inner_text()
    swaps = page.evaluate("window.__swaps")
    wait_for(lambda: page.evaluate("window.__swaps") >= swaps + 2, what="two refreshes")
    assert why.evaluate("el => el.open"), "the score breakdown closed on refresh"
    rejected = page.locator("#rejected-panel")
    assert rejected.evaluate("el => el.open"), "the rejected candidates closed on refresh"
    assert "A different version" in rejected.inner_text() or "live version" in (
        rejected.inner_text()
    )
    rejected.locator("button:text('Choose this instead')").first.click()
    page.wait_for_load_state("networkidle")
    assert "tried next" in page.locator(".messages").inner_text()
    assert "Tried next" in page.locator("#candidates").inner_text()
    operator.check_clean("live job page")


def test_a_finished_job_does_not_poll_and_its_panels_open_on_click(session):
    viewer = session("viewer")
    viewer.context.add_init_script(HTMX_COUNTER)
    viewer.visit("/ui/downloads?state=done")
    viewer.page.click("#history >> text=Starálfur")
    page = viewer.page
    page.wait_for_load_state("networkidle")
    page.click("#rejected-panel summary")
    page.click("#candidates details.score summary >> nth=0")
    page.wait_for_load_state("networkidle")
    assert page.locator("#rejected-panel").evaluate("el => el.open")
    assert page.locator("#candidates details.score").first.evaluate("el => el.open")
    assert page.evaluate("window.__requests") == 0, "a finished job's page made requests"
    assert page.locator("#job[hx-get]").count() == 0
    viewer.check_clean("finished job page")


def test_the_blocklist_lists_blocked_files_and_a_block_can_be_lifted(session):
    operator = session("operator")
    page = operator.page
    operator.visit("/ui/downloads")
    page.click("text=the blocklist")
    page.wait_for_url(re.compile(r".*/ui/blocklist$"))
    row = page.locator("#blocked-files tr", has_text="fake_uploader")
    assert "Marked as the wrong file by a person" in row.inner_text()
    row.locator("button:text('Unblock')").click()
    page.wait_for_load_state("networkidle")
    assert "Unblocked" in page.locator(".messages").inner_text()
    assert page.locator("#blocked-files tr", has_text="fake_uploader").count() == 0
    operator.check_clean("blocklist")


def test_failed_jobs_are_called_failed_and_read_as_sentences(session):
    viewer = session("viewer")
    page = viewer.page
    viewer.visit("/ui/")
    page.click("nav >> text=Failed")
    page.wait_for_url(re.compile(r".*/ui/dlq$"))
    text = page.locator("main").inner_text()
    assert "No file on Soulseek passed the filters." in text
    assert "no_candidates" not in text and "Dead letters" not in text
    viewer.check_clean("failed page")


def test_the_wanted_page_says_why_each_track_is_missing_and_retries_the_picked_ones(session):
    operator = session("operator")
    page = operator.page
    operator.visit("/ui/")
    page.click("nav >> text=Wanted")
    page.wait_for_url(re.compile(r".*/ui/wanted$"))
    row = page.locator("#wanted-tracks tr", has_text=DEAD_LABEL)
    assert "Not found on Soulseek." in row.inner_text()
    assert "Retry later" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    page.click("text=Retry picked")
    page.wait_for_load_state("networkidle")
    assert "Retrying 1 track(s)." in page.locator(".messages").inner_text()
    row = page.locator("#wanted-tracks tr", has_text=DEAD_LABEL)
    assert "Not found on Soulseek." not in row.inner_text()
    operator.check_clean("wanted page")


def test_an_operator_changes_their_own_password(session):
    operator = session("operator")
    page = operator.page
    page.click("header >> text=operator")
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/$"))
    assert "Your password was changed." in page.locator(".messages").inner_text()
    page.click("text=Sign out")
    page.fill("#id_username", "operator")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/$"))
    page.goto("/ui/account/password")  # and back, for the other tests of this module
    page.fill("#id_old_password", NEW_PASSWORD)
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/$"))
    operator.check_clean("password change")


def test_an_admin_disables_enables_resets_and_changes_the_role_of_a_user(session):
    admin = session("admin")
    page = admin.page
    page.on("dialog", lambda dialog: dialog.accept())
    admin.visit("/ui/settings#users")

    def viewer_row():
        name = page.locator("td[data-label=User]", has_text=re.compile(r"^viewer$"))
        return page.locator("#users tr", has=name)

    def press(button: str) -> str:
        with page.expect_navigation():
            viewer_row().locator(f"button:text('{button}')").click()
        return page.locator(".messages").inner_text()

    assert "User viewer disabled." in press("Disable")
    assert "disabled" in viewer_row().inner_text()
    assert "viewer can sign in again" in press("Enable")
    viewer_row().locator("input[type=password]").fill(PASSWORD)
    assert "New password set for viewer" in press("Reset password")
    viewer_row().locator("select").select_option("operator")
    assert "viewer is now operator" in press("Change role")
    viewer_row().locator("select").select_option("viewer")
    assert "viewer is now viewer" in press("Change role")
    admin.check_clean("user management")


def test_a_saved_setting_is_applied_from_the_settings_page_without_a_restart(session):
    # Last in this module: applying restarts this Harmony's task cluster.
    admin = session("admin")
    page = admin.page
    admin.visit("/ui/")
    page.click("nav >> text=Settings")
    page.fill("#id_search-HDM_SEARCH_BUDGET", "7")
    with page.expect_navigation():
        page.click("#search button[type=submit]")
    pending = page.locator("#pending-settings")
    assert "HDM_SEARCH_BUDGET" in pending.inner_text()
    with page.expect_navigation():
        pending.locator("button:text('Apply now')").click()
    assert "Applying the saved settings" in page.locator(".messages").inner_text()

    def applied() -> bool:
        page.reload()  # a person looking again; the new workers read harmony.yml
        return page.locator("#pending-settings").count() == 0

    wait_for(applied, timeout_s=60, what="the new workers to apply the setting")
    assert page.input_value("#id_search-HDM_SEARCH_BUDGET") == "7"
    admin.check_clean("settings after applying")
