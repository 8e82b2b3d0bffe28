"""SlskdClient readiness calls and error classes against the fake slskd over real sockets."""

from __future__ import annotations

import pytest

from providers.errors import (
    ProviderAuthError,
    ProviderNotConfigured,
    ProviderResponseError,
    ProviderUnavailable,
)
from providers.slskd.client import SlskdClient
from tests.fakes.base import Reply


def test_wrong_or_missing_key_is_an_auth_error(fake_slskd):
    for key in ("wrong-key", ""):
        client = SlskdClient(fake_slskd.url, key, sleep=lambda s: None)
        with pytest.raises(ProviderAuthError) as info:
            client.server_state()
        assert info.value.status == 401
    assert fake_slskd.requests[-1].headers.get("x-api-key", "") == ""


def test_session_and_health(slskd_client, fake_slskd):
    assert slskd_client.session_ok() is True
    assert slskd_client.health() is True
    assert slskd_client.auth_enabled() is True
    assert fake_slskd.requests_to("GET", r"/api/v0/session")[0].headers["x-api-key"] == (
        fake_slskd.api_key
    )


def test_session_with_a_bad_key_raises_auth_error(fake_slskd):
    client = SlskdClient(fake_slskd.url, "nope", sleep=lambda s: None)
    with pytest.raises(ProviderAuthError):
        client.session_ok()
    assert client.health() is True  # /health needs no key


def test_server_state_switches_between_logged_in_and_disconnected(slskd_client, fake_slskd):
    state = slskd_client.server_state()
    assert (state.state, state.is_connected, state.is_logged_in) == (
        "Connected, LoggedIn",
        True,
        True,
    )
    fake_slskd.set_logged_in(False)
    state = slskd_client.server_state()
    assert (state.state, state.is_logged_in) == ("Disconnected", False)


def test_application_state_and_version(slskd_client):
    application = slskd_client.application_state()
    assert application.version == "0.26.0"
    assert application.server.is_logged_in
    assert application.username == "harmony-bot"
    assert application.shares_ready is True
    assert slskd_client.version() == "0.26.0"


def test_5xx_burst_then_success(slskd_client, fake_slskd):
    fake_slskd.inject("GET", r"/api/v0/server", Reply.html(502), Reply.empty(503), Reply.empty(500))
    assert slskd_client.server_state().is_logged_in
    assert len(slskd_client.slept) == 3


@pytest.mark.parametrize(
    ("reply", "what"),
    [
        (Reply.truncated_json(), "malformed JSON"),
        (Reply.html(200, "slskd"), "HTML page"),
        (Reply.empty(200), "empty body"),
        (Reply.json(["not", "an", "object"]), "server is list"),
        (Reply.json({"state": "Connected", "isLoggedIn": "yes"}), "server.isLoggedIn is str"),
    ],
)
def test_malformed_bodies_are_response_errors(slskd_client, fake_slskd, reply, what):
    fake_slskd.inject("GET", r"/api/v0/server", reply)
    with pytest.raises(ProviderResponseError, match=what) as info:
        slskd_client.server_state()
    assert "GET /api/v0/server" in str(info.value)


def test_read_timeout_is_unavailable(fake_slskd):
    fake_slskd.delay("GET", r"/api/v0/server", 5.0, times=2)
    client = SlskdClient(
        fake_slskd.url, fake_slskd.api_key, read_timeout=0.2, max_retries=1, sleep=lambda s: None
    )
    with pytest.raises(ProviderUnavailable, match="no answer within"):
        client.server_state()


def test_unreachable_slskd_is_unavailable(fake_slskd):
    url = fake_slskd.url
    fake_slskd.stop()
    client = SlskdClient(url, "k", max_retries=1, sleep=lambda s: None)
    with pytest.raises(ProviderUnavailable, match="cannot connect"):
        client.session_ok()


def test_from_config_reads_the_knobs(fake_slskd):
    client = SlskdClient.from_config()
    assert client.http.base_url == fake_slskd.url
    assert client.server_state().is_logged_in


def test_from_config_without_url_is_not_configured(knobs):
    knobs["SLSKD_URL"] = ""
    with pytest.raises(ProviderNotConfigured, match="SLSKD_URL is empty"):
        SlskdClient.from_config()
