"""Signed JSON webhooks: what Harmony sends and how a receiver verifies it.

The body is compact JSON. `X-Harmony-Signature: sha256=<hex>` is HMAC-SHA256, keyed with the
target's secret, over `<X-Harmony-Timestamp>.<body>` (the Unix time in seconds, a dot, the raw
body bytes). A receiver recomputes it, compares in constant time and refuses timestamps older
than a few minutes, which stops replays (docs/integrations/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import requests

from providers.errors import ProviderResponseError, ProviderUnavailable

SIGNATURE_HEADER = "X-Harmony-Signature"
TIMESTAMP_HEADER = "X-Harmony-Timestamp"
EVENT_HEADER = "X-Harmony-Event"
DELIVERY_HEADER = "X-Harmony-Delivery"


def encode_body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and what the tests do): recompute and compare in constant time."""
    try:
        expected = sign(secret, int(timestamp), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, signature)


def post_webhook(
    url: str,
    payload: Any,
    *,
    secret: str,
    event: str,
    delivery_id: str,
    timeout: float = 10.0,
    clock: Callable[[], float] = time.time,
) -> int:
    """POST one signed payload; the HTTP status on 2xx, else a typed error.

    Errors never repeat the URL: webhook URLs often carry a token in their path.
    """
    body = encode_body(payload)
    timestamp = int(clock())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Harmony-Webhook",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }
    try:
        response = requests.post(
            url, data=body, headers=headers, timeout=(5.0, timeout), allow_redirects=False
        )
    except requests.RequestException as exc:
        raise ProviderUnavailable(
            f"webhook not delivered ({type(exc).__name__})", provider="webhook"
        ) from None
    if 200 <= response.status_code < 300:
        return response.status_code
    kind = (
        ProviderUnavailable
        if response.status_code >= 500 or response.status_code == 429
        else ProviderResponseError
    )
    raise kind("the receiver refused the webhook", provider="webhook", status=response.status_code)
