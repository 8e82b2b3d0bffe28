"""UI sessions: login, the /ui guard, role_required, lockout, CSRF and cookie flags."""

import json
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.accounts.conftest import PASSWORD

pytestmark = [pytest.mark.urls("tests.accounts.api_urls"), pytest.mark.django_db]


def login(client: Client, username: str, password: str, **extra):
    return client.post("/ui/login/", {"username": username, "password": password}, **extra)


def test_ui_pages_send_anonymous_visitors_to_the_login_page(client):
    response = client.get("/ui/page/")
    assert response.status_code == 302
    assert response["Location"] == "/ui/login/?next=/ui/page/"


def test_htmx_requests_get_a_client_redirect_instead_of_a_login_page_fragment(client):
    response = client.get("/ui/page/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/ui/login/")


def test_login_then_the_page_opens_and_the_session_cookie_is_hardened(client, make_user):
    make_user("ann", "viewer")
    response = login(client, "ann", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/ui/"
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.get("/ui/page/").status_code == 200


def test_user_without_a_role_is_refused_every_ui_page(client, make_user):
    user = make_user("norole", "viewer")
    user.groups.clear()
    client.force_login(user)
    assert client.get("/ui/page/").status_code == 403


def test_role_required_gives_403_to_a_lower_role_and_login_to_anonymous(client, logged_in):
    assert client.post("/ui/action/")["Location"].startswith("/ui/login/")
    assert logged_in("viewer").post("/ui/action/").status_code == 403
    assert logged_in("operator").post("/ui/action/").status_code == 200


def test_logout_needs_a_post(logged_in):
    client = logged_in("viewer")
    assert client.get("/ui/logout/").status_code == 405
    client.post("/ui/logout/")
    assert client.get("/ui/page/").status_code == 302


class _InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.body_headers = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style" or (tag == "script" and "src" not in names):
            self.found.append(f"<{tag}>")
        self.found += [name for name in names if name == "style" or name.startswith("on")]
        if tag == "body":
            self.body_headers = names.get("hx-headers") or ""


def test_login_page_has_no_inline_code_and_sends_csrf_in_hx_headers(client):
    parser = _InlineCode()
    parser.feed(client.get("/ui/login/").content.decode())
    assert parser.found == []
    assert json.loads(parser.body_headers)["X-CSRFToken"]


def test_ui_post_without_csrf_token_is_refused(make_user):
    make_user("ann", "viewer")
    client = Client(enforce_csrf_checks=True)
    response = login(client, "ann", PASSWORD)
    assert response.status_code == 403
    assert b"expired" in response.content
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(make_user("op", "operator"))
    assert forged.post("/ui/action/").status_code == 403


def test_ui_post_with_the_token_passes_csrf(make_user):
    make_user("ann", "viewer")
    client = Client(enforce_csrf_checks=True)
    client.get("/ui/login/")
    token = client.cookies["csrftoken"].value
    response = login(client, "ann", PASSWORD, headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_lockout_after_the_failure_limit_with_a_clear_page(client, make_user, settings, caplog):
    make_user("ann", "viewer")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "ann", "wrong").status_code == 200
    response = login(client, "ann", "wrong")
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    # Locked even with the right password, from this address, for this user name only.
    assert login(client, "ann", PASSWORD).status_code == 429
    assert login(client, "ann", PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 302
    assert AccessAttempt.objects.filter(username="ann").exists()
    assert any(r.msg == "hdm.auth.locked_out" for r in caplog.records)


def test_success_resets_the_failure_count(client, make_user, settings):
    make_user("ann", "viewer")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "ann", "wrong")
    assert login(client, "ann", PASSWORD).status_code == 302
    client.post("/ui/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "ann", "wrong").status_code == 200


def test_failed_login_log_never_holds_the_password(client, make_user, caplog):
    make_user("ann", "viewer")
    login(client, "ann", "hunter2-not-it")
    assert any(r.msg == "hdm.auth.login_failed" for r in caplog.records)
    assert "hunter2-not-it" not in caplog.text
