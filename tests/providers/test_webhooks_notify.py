"""Signed webhooks and Apprise notifications against a loopback receiver."""

from __future__ import annotations

import json

import pytest

from providers.errors import ProviderResponseError, ProviderUnavailable
from providers.notify import apprise_hint, send_apprise
from providers.webhooks import post_webhook, sign, verify
from tests.fakes.base import Reply
from tests.fakes.receiver import FakeReceiver

SECRET = "s3cret-signing-key-0123"


def test_a_webhook_is_signed_over_timestamp_and_body_and_verifies():
    with FakeReceiver() as receiver:
        status = post_webhook(
            f"{receiver.url}/hook",
            {"event": "test", "n": 1},
            secret=SECRET,
            event="test",
            delivery_id="7",
            clock=lambda: 1_700_000_000,
        )
    assert status == 200
    request = receiver.received[0]
    headers = request.headers
    assert headers["x-harmony-timestamp"] == "1700000000"
    assert verify(
        SECRET, headers["x-harmony-timestamp"], request.body, headers["x-harmony-signature"]
    )
    assert not verify(
        "another-secret",
        headers["x-harmony-timestamp"],
        request.body,
        headers["x-harmony-signature"],
    )
    # A replayed body under a new timestamp does not verify.
    assert not verify(SECRET, "1700000999", request.body, headers["x-harmony-signature"])
    assert json.loads(request.body) == {"event": "test", "n": 1}
    assert headers["x-harmony-delivery"] == "7" and headers["x-harmony-event"] == "test"


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    body = b'{"a":1}'
    expected = hmac.new(SECRET.encode(), b"123." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, 123, body) == f"sha256={expected}"


@pytest.mark.parametrize(
    ("status", "error"), [(503, ProviderUnavailable), (400, ProviderResponseError)]
)
def test_a_refused_webhook_raises_without_repeating_the_url(status, error):
    with FakeReceiver(status=status) as receiver, pytest.raises(error) as caught:
        post_webhook(f"{receiver.url}/token-in-path", {}, secret=SECRET, event="e", delivery_id="1")
    assert "token-in-path" not in str(caught.value)


def test_apprise_json_url_reaches_the_receiver_with_title_and_message():
    with FakeReceiver() as receiver:
        send_apprise(receiver.apprise_url(), title="Hello", body="World")
    body = receiver.received[0].json()
    assert (body["title"], body["message"]) == ("Hello", "World")


def test_apprise_failure_carries_aprises_reason():
    with FakeReceiver() as receiver:
        receiver.inject("POST", r"/.*", Reply.empty(500))
        with pytest.raises(ProviderUnavailable, match="JSON"):
            send_apprise(receiver.apprise_url(), title="t", body="b")


def test_apprise_hint_masks_credentials():
    hint = apprise_hint("json://user:hunter2@127.0.0.1:9/hook")
    assert "hunter2" not in hint and hint.startswith("json://user:")
    assert apprise_hint("no-such-service://x") == ""
