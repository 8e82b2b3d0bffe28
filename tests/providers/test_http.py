"""The shared HTTP layer against a real loopback server (tests/fakes/base.py)."""

from __future__ import annotations

import logging
import random
import socket

import pytest

from providers.errors import (
    ProviderAuthError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderUnavailable,
)
from providers.http import HttpClient, error_message, parse_retry_after
from tests.fakes.base import FakeServer, Reply


@pytest.fixture
def server():
    with FakeServer() as fake:
        fake.route("GET", r"/ok", lambda r: Reply.json({"hello": "wörld"}))
        fake.route("POST", r"/items", lambda r: Reply.json(r.json(), 201))
        fake.route("GET", r"/echo-headers", lambda r: Reply.json(r.headers))
        yield fake


def make_client(server, **kwargs) -> tuple[HttpClient, list[float]]:
    slept: list[float] = []
    options = {"max_retries": 3, "read_timeout": 2.0, "sleep": slept.append}
    options.update(kwargs)
    client = HttpClient(server.url, name="test", rng=random.Random(7), **options)
    return client, slept


def test_get_json_decodes_body(server):
    client, _ = make_client(server)
    assert client.get_json("/ok") == {"hello": "wörld"}


def test_request_sends_json_and_accepts_expected_status(server):
    client, _ = make_client(server)
    response = client.request("POST", "/items", json={"a": 1}, expected=(201,))
    assert response.json() == {"a": 1}
    assert server.requests[-1].headers["content-type"] == "application/json"


def test_default_and_dynamic_headers_are_sent(server):
    client, _ = make_client(
        server, headers={"X-API-Key": "k1"}, header_provider=lambda: {"Authorization": "Bearer t"}
    )
    sent = client.get_json("/echo-headers")
    assert sent["x-api-key"] == "k1"
    assert sent["authorization"] == "Bearer t"


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, ProviderAuthError), (403, ProviderAuthError), (404, ProviderNotFound)],
)
def test_statuses_map_to_typed_errors(server, status, error):
    server.inject("GET", r"/ok", Reply.empty(status))
    client, slept = make_client(server)
    with pytest.raises(error) as info:
        client.get_json("/ok")
    assert info.value.status == status
    assert info.value.endpoint == "GET /ok"
    assert slept == []  # never retried


def test_unexpected_4xx_is_a_response_error_with_the_message(server):
    server.inject("GET", r"/ok", Reply.json("Search text is required", 400))
    client, _ = make_client(server)
    with pytest.raises(ProviderResponseError, match="Search text is required"):
        client.get_json("/ok")


def test_5xx_burst_is_retried_with_growing_jittered_backoff(server):
    server.inject("GET", r"/ok", Reply.html(502), Reply.empty(503), Reply.json("boom", 500))
    client, slept = make_client(server, backoff_base=1.0)
    assert client.get_json("/ok") == {"hello": "wörld"}
    assert len(server.requests_to("GET", r"/ok")) == 4
    # equal jitter: attempt n waits in [base*2^(n-1)/2, base*2^(n-1)]
    for attempt, delay in enumerate(slept, start=1):
        ceiling = 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling


def test_5xx_past_the_retry_budget_is_unavailable(server):
    server.inject("GET", r"/ok", Reply.empty(503), times=5)
    client, slept = make_client(server, max_retries=2)
    with pytest.raises(ProviderUnavailable) as info:
        client.get_json("/ok")
    assert info.value.status == 503
    assert len(slept) == 2


def test_backoff_is_capped(server):
    client, _ = make_client(server, backoff_base=10.0, backoff_max=4.0)
    assert all(client._backoff(n) <= 4.0 for n in range(1, 10))


def test_post_is_not_retried_on_500(server):
    server.inject("POST", r"/items", Reply.json("User x appears to be offline", 500))
    client, slept = make_client(server)
    with pytest.raises(ProviderUnavailable, match="appears to be offline"):
        client.request("POST", "/items", json=[], expected=(201,))
    assert slept == []
    assert len(server.requests_to("POST", r"/items")) == 1


def test_post_with_retry_unsafe_is_retried_on_500(server):
    server.inject("POST", r"/items", Reply.empty(500))
    client, slept = make_client(server)
    client.request("POST", "/items", json={}, expected=(201,), retry_unsafe=True)
    assert len(slept) == 1


def test_429_waits_retry_after_then_succeeds(server):
    server.inject("GET", r"/ok", Reply.json("Too many", 429, **{"Retry-After": "7"}))
    client, slept = make_client(server)
    assert client.get_json("/ok") == {"hello": "wörld"}
    assert slept == [7.0]


def test_429_over_the_wait_limit_raises_rate_limited(server):
    server.inject("GET", r"/ok", Reply.empty(429, **{"Retry-After": "3600"}))
    client, slept = make_client(server, max_retry_after=60)
    with pytest.raises(ProviderRateLimited) as info:
        client.get_json("/ok")
    assert info.value.retry_after == 3600
    assert slept == []


def test_429_retry_after_is_honoured_over_a_real_socket(server):
    """The server records the real gap between the 429 and the retry (one real second)."""
    server.inject("GET", r"/ok", Reply.empty(429, **{"Retry-After": "1"}))
    client = HttpClient(server.url, name="test", max_retries=1)
    client.get_json("/ok")
    first, retry = server.requests_to("GET", r"/ok")
    assert retry.at - first.at >= 1.0


@pytest.mark.parametrize(
    ("reply", "what"),
    [
        (Reply.html(200, "Login"), "HTML page instead of JSON"),
        (Reply.truncated_json(), "malformed JSON"),
        (Reply.empty(200), "empty body"),
        (Reply.text("not json at all"), "malformed JSON"),
    ],
)
def test_malformed_bodies_are_response_errors_naming_the_endpoint(server, reply, what):
    server.inject("GET", r"/ok", reply)
    client, _ = make_client(server)
    with pytest.raises(ProviderResponseError, match=what) as info:
        client.get_json("/ok")
    assert "GET /ok" in str(info.value)


def test_allow_empty_returns_none(server):
    server.inject("GET", r"/ok", Reply.empty(200))
    client, _ = make_client(server)
    assert client.get_json("/ok", allow_empty=True) is None


def test_read_timeout_is_unavailable_after_retries(server):
    server.inject("GET", r"/ok", Reply(hold=5.0), times=2)
    client, slept = make_client(server, read_timeout=0.2, max_retries=1)
    with pytest.raises(ProviderUnavailable, match="no answer within 0.2s"):
        client.get_json("/ok")
    assert len(slept) == 1


def test_read_timeout_on_post_is_not_retried(server):
    server.inject("POST", r"/items", Reply(hold=5.0))
    client, slept = make_client(server, read_timeout=0.2)
    with pytest.raises(ProviderUnavailable):
        client.request("POST", "/items", json={}, expected=(201,))
    assert slept == []


def test_connection_refused_is_unavailable_and_retried_even_for_post():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    slept: list[float] = []
    client = HttpClient(f"http://127.0.0.1:{port}", name="test", max_retries=2, sleep=slept.append)
    with pytest.raises(ProviderUnavailable, match="cannot connect"):
        client.request("POST", "/items", json={})
    assert len(slept) == 2


def test_logs_never_contain_secret_header_values(server, caplog):
    server.inject("GET", r"/ok", Reply.empty(503), Reply.empty(401))
    client, _ = make_client(
        server,
        headers={"X-API-Key": "sekrit-key"},
        header_provider=lambda: {"Authorization": "Bearer sekrit-token"},
    )
    with caplog.at_level(logging.DEBUG, logger="hdm.providers"), pytest.raises(ProviderAuthError):
        client.get_json("/ok?q=1")
    text = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "hdm.provider.retry" in text
    assert "sekrit" not in text


def test_absolute_urls_pass_through(server):
    client, _ = make_client(server)
    assert client.get_json(f"{server.url}/ok") == {"hello": "wörld"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None), (None, None)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_accepts_http_dates():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'"User x appears to be offline"', "User x appears to be offline"),
        (b'{"error": {"status": 429, "message": "API rate limit exceeded"}}', "API rate limit"),
        (b'{"error": "invalid_grant", "error_description": "Bad code"}', "invalid_grant: Bad"),
        (b"<html>nope</html>", ""),
        (b"plain words", "plain words"),
    ],
)
def test_error_message_extraction(body, message):
    import requests

    response = requests.Response()
    response._content = body
    assert error_message(response).startswith(message)


def test_redirects_are_not_followed_unless_asked(server):
    server.route("GET", r"/moved", lambda r: Reply.empty(307, Location=f"{server.url}/ok"))
    client, _ = make_client(server)
    with pytest.raises(ProviderResponseError, match="HTTP 307"):
        client.get_json("/moved")
    follower, _ = make_client(server, follow_redirects=True)
    assert follower.get_json("/moved") == {"hello": "wörld"}
