"""Open mode keeps the quickstart and loses the attack (issue 14, points 1–4).

Open mode: no API key and no account exist. `curl` and Harmony's own pages still work; other
web sites, DNS-rebinding host names and preflights are refused; accounts end the mode.
"""

from __future__ import annotations

import contextlib
import io
import socket

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts import services
from accounts.exposure import ANY_HOST, ANY_ORIGIN, OPEN_API, check_exposure
from accounts.models import APIKey
from harmony_site import config

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
EVIL = "https://evil.example"


def create_key(client: Client, **headers: str):
    return client.post(
        "/api/v1/keys", {"name": "stolen", "role": "admin"}, "application/json", headers=headers
    )


def assert_refused(response, code: str = "cross_origin_refused", status: int = 403) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert "Access-Control-Allow-Origin" not in response


# --- point 1: other origins ----------------------------------------------------------------


def test_curl_without_browser_headers_still_works_in_open_mode(client):
    assert create_key(client).status_code == 201


def test_a_foreign_page_cannot_mint_an_admin_key(client):
    assert_refused(create_key(client, Origin=EVIL))
    assert not APIKey.objects.exists()


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
def test_cross_site_reads_without_origin_are_refused(client, fetch_site):
    assert_refused(client.get("/api/v1/status", headers={"Sec-Fetch-Site": fetch_site}))
    assert_refused(client.get("/env", headers={"Sec-Fetch-Site": fetch_site}))


def test_every_preflight_is_refused_in_open_mode(client):
    preflight = client.options(
        "/api/v1/keys",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
    )
    assert_refused(preflight)


def test_harmonys_own_pages_may_call_the_open_api(client):
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert client.get("/api/v1/status", headers=own).status_code == 200
    assert client.get("/api/v1/status", headers={"Sec-Fetch-Site": "none"}).status_code == 200


def test_an_origin_listed_in_allowed_origins_may_call_the_open_api(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://ha.example"]
    settings.CORS_ALLOW_ALL_ORIGINS = False
    headers = {"Origin": "https://ha.example", "Sec-Fetch-Site": "cross-site"}
    assert client.get("/api/v1/status", headers=headers).status_code == 200
    preflight = client.options(
        "/api/v1/status", headers={**headers, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://ha.example"
    assert_refused(client.get("/api/v1/status", headers={"Origin": EVIL}))


def test_with_a_key_the_default_star_keeps_its_cors_meaning(client):
    _, key = services.create_api_key(name="ha", role="viewer", actor="test")
    response = client.get("/api/v1/status", headers={"Origin": EVIL, "X-API-Key": key})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/status", headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    # ... and a foreign page without a key gets nothing
    assert client.get("/api/v1/status", headers={"Origin": EVIL}).status_code == 401


def test_the_ui_is_not_behind_the_origin_guard(client):
    # A link from another site to the sign-in page is an ordinary navigation.
    response = client.get("/ui/login/", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200


# --- point 2: DNS rebinding -----------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "localhost.evil.example"])
def test_a_foreign_host_name_is_refused(client, host):
    assert_refused(client.get("/api/v1/status", HTTP_HOST=host), "disallowed_host", 400)
    assert client.get("/ui/login/", HTTP_HOST=host).status_code == 400


@pytest.mark.parametrize(
    "host",
    ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "192.168.1.20:8080", "app.localhost"],
)
def test_local_names_and_any_ip_address_work_without_configuration(client, host):
    assert client.get("/api/v1/status", HTTP_HOST=host).status_code == 200


def test_the_machines_own_name_works(client):
    host = f"{socket.gethostname().lower()}:8080"
    assert client.get("/api/v1/status", HTTP_HOST=host).status_code == 200


def test_allowed_hosts_adds_names(client, settings):
    settings.HARMONY_ALLOWED_HOSTS = [*settings.HARMONY_ALLOWED_HOSTS, ".music.example"]
    assert client.get("/api/v1/status", HTTP_HOST="harmony.music.example").status_code == 200
    assert client.get("/api/v1/status", HTTP_HOST="music.example.evil").status_code == 400


def test_a_star_in_allowed_hosts_turns_the_host_check_off(client, settings):
    settings.HARMONY_ALLOWED_HOSTS = [*settings.HARMONY_ALLOWED_HOSTS, "*"]
    assert client.get("/api/v1/status", HTTP_HOST="evil.example").status_code == 200


# --- point 3: open mode ends when roles begin ----------------------------------------------


@pytest.fixture
def viewer_session(db) -> Client:
    client = Client(raise_request_exception=False)
    user = services.create_user(username="vic", password=PASSWORD, role="viewer", actor="test")
    client.force_login(user)
    return client


def test_an_account_ends_open_mode(client, viewer_session):
    assert client.get("/api/v1/status").status_code == 401
    assert create_key(client).status_code == 401


def test_a_viewer_session_never_writes_through_the_api(viewer_session):
    client = Client(enforce_csrf_checks=False)
    client.cookies = viewer_session.cookies
    assert client.get("/api/v1/status").status_code == 200
    assert create_key(client).status_code == 403
    patch = client.patch("/api/v1/settings", {"LOG_LEVEL": "DEBUG"}, "application/json")
    assert patch.status_code == 403
    assert not APIKey.objects.exists()


def test_status_says_keys_once_an_account_exists(viewer_session):
    assert viewer_session.get("/api/v1/status").json()["sections"]["auth"] == {"mode": "keys"}


def test_status_says_open_while_nothing_exists(client):
    assert client.get("/api/v1/status").json()["sections"]["auth"] == {"mode": "open"}


def test_creating_the_first_admin_says_the_api_closed(client):
    token = services.create_setup_token()
    form = {"username": "root", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(f"/ui/setup/{token}/", form, follow=True)
    assert response.status_code == 200
    assert "the API is no longer open" in response.content.decode()
    assert client.get("/api/v1/status", headers={"Sec-Fetch-Site": "none"}).status_code == 200
    assert Client().get("/api/v1/status").status_code == 401


@pytest.mark.parametrize("first", ["account", "key"])
def test_the_first_account_or_key_says_in_the_log_that_the_api_closed(caplog, first):
    if first == "account":
        services.create_user(username="bob", password=PASSWORD, role="viewer", actor="cli")
    else:
        services.create_api_key(name="ha", role="viewer", actor="cli")
    services.create_api_key(name="second", role="viewer", actor="cli")
    closed = [r for r in caplog.records if r.getMessage().startswith("hdm.accounts.api_closed")]
    assert len(closed) == 1
    assert "no longer open" in closed[0].getMessage()


# --- point 4: say it loudly ----------------------------------------------------------------


def test_every_ui_page_shows_the_banner_while_the_api_is_open(client):
    assert 'id="api-open-banner"' in client.get("/ui/login/").content.decode()


def test_the_banner_goes_once_an_account_exists(viewer_session):
    for path in ("/ui/", "/ui/system", "/ui/library"):
        page = viewer_session.get(path)
        assert page.status_code == 200
        assert 'id="api-open-banner"' not in page.content.decode()


def warning_ids() -> set[str]:
    return {warning.id for warning in check_exposure()}


def test_deploy_check_warns_about_the_open_api_any_host_and_any_origin(monkeypatch):
    cfg = config.get_config()
    monkeypatch.setitem(cfg.values, "ALLOWED_HOSTS", ["*"])
    monkeypatch.setitem(cfg.values, "ALLOWED_ORIGINS", ["*"])
    assert warning_ids() == {OPEN_API, ANY_HOST, ANY_ORIGIN}
    monkeypatch.setitem(cfg.values, "ALLOWED_HOSTS", ["harmony.example"])
    monkeypatch.setitem(cfg.values, "ALLOWED_ORIGINS", ["https://ha.example"])
    services.create_api_key(name="ha", role="viewer", actor="test")
    assert warning_ids() == set()


def test_harmony_check_prints_the_open_api_warning():
    out, err = io.StringIO(), io.StringIO()
    with contextlib.suppress(CommandError):  # failing probes are not this test's subject
        call_command("harmony_check", "--core", stdout=out, stderr=err)
    assert f"WARNING {OPEN_API}" in err.getvalue()


def test_settings_page_tells_the_truth_about_configured_keys(monkeypatch):
    cfg = config.get_config()
    monkeypatch.setitem(cfg.values, "HARMONY_API_KEYS", ["env-key-1234567890", "env-key-abcdefgh"])
    admin = services.create_user(username="adm", password=PASSWORD, role="admin", actor="test")
    client = Client()
    client.force_login(admin)
    page = client.get("/ui/settings").content.decode()
    assert "HARMONY_API_KEYS holds 2 admin keys" in page
    assert "open to anyone" not in page
