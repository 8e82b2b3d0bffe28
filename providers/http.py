"""The HTTP layer every provider client shares: one `requests.Session` per client, connect and
read timeouts, bounded retries with exponential backoff and jitter, 429 `Retry-After`, typed
errors, strict JSON decoding and secret-free request logging.

Retry policy: connection failures, read timeouts and 502/503/504 are retried for idempotent
methods (GET, HEAD, PUT, DELETE, OPTIONS); for POST only failures where the request never
reached the server (connection refused / connect timeout) and 429/503 are retried, because a
POST that timed out may have taken effect (an slskd enqueue would run twice). A 429 waits the
server's `Retry-After` when it is at most `max_retry_after` seconds, otherwise raises
`ProviderRateLimited` at once so the caller can reschedule instead of blocking a worker.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderUnavailable,
)

logger = logging.getLogger("hdm.providers.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# 503 and 429 mean "not processed", so even a POST may be sent again.
RETRY_STATUSES_UNSAFE = frozenset({503})
MESSAGE_LIMIT = 300

Sleeper = Callable[[float], None]


class HttpClient:
    """A provider's HTTP session. Thread-safe for concurrent requests as `requests.Session` is
    for the simple use made of it here (no cookies are relied upon)."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        headers: Mapping[str, str] | None = None,
        header_provider: Callable[[], Mapping[str, str]] | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_after: float = 60.0,
        sleep: Sleeper = time.sleep,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
        follow_redirects: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.header_provider = header_provider
        # Off by default: requests drops Authorization on a cross-host redirect but would send
        # custom secrets such as X-API-Key along. Image downloads (artwork) turn it on.
        self.follow_redirects = follow_redirects
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.session = session or requests.Session()
        self.session.headers.update(headers or {})

    def close(self) -> None:
        self.session.close()

    def url_for(self, path: str) -> str:
        """Absolute URLs (Spotify `next` links) pass through; paths join the base URL."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        expected: Iterable[int] = (200,),
        retry_unsafe: bool = False,
        before_send: Callable[[], None] | None = None,
    ) -> requests.Response:
        """Send one logical request (with retries) and return a response whose status is in
        `expected`; anything else becomes a typed `ProviderError`.

        `retry_unsafe=True` lets a POST that the caller knows is idempotent (e.g. a search
        created with a client-chosen id) be retried like a GET. `before_send` runs before every
        attempt, retries included; an exception it raises stops the request unsent.
        """
        method = method.upper()
        expected = frozenset(expected)
        endpoint = f"{method} {_path_only(path)}"
        safe = retry_unsafe or method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            if before_send is not None:
                before_send()
            started = time.monotonic()
            try:
                response = self._send(method, path, params, json, data, headers)
            except requests.RequestException as exc:
                error = self._transport_error(exc, endpoint)
                if attempt < self.max_retries and (safe or _never_sent(exc)):
                    attempt += 1
                    self._wait(self._backoff(attempt), endpoint, attempt, reason=error.message)
                    continue
                self._log_failure(endpoint, error, attempt)
                raise error from exc
            self._log_response(endpoint, response, started, attempt)
            if response.status_code in expected:
                return response
            delay = self._retry_delay(response, safe, attempt, endpoint)
            if delay is None:
                error = self._status_error(response, endpoint)
                self._log_failure(endpoint, error, attempt)
                raise error
            attempt += 1
            self._wait(delay, endpoint, attempt, reason=f"HTTP {response.status_code}")

    def request_json(
        self,
        method: str,
        path: str,
        *,
        expected: Iterable[int] = (200,),
        allow_empty: bool = False,
        **kwargs: Any,
    ) -> Any:
        """`request` then `decode_json`; `allow_empty` returns None for an empty body."""
        response = self.request(method, path, expected=expected, **kwargs)
        endpoint = f"{method.upper()} {_path_only(path)}"
        return decode_json(response, provider=self.name, endpoint=endpoint, allow_empty=allow_empty)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.request_json("GET", path, **kwargs)

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Any,
        headers: Mapping[str, str] | None,
    ) -> requests.Response:
        merged = dict(self.header_provider() if self.header_provider else {})
        merged.update(headers or {})
        return self.session.request(
            method,
            self.url_for(path),
            params=params,
            json=json,
            data=data,
            headers=merged,
            timeout=(self.connect_timeout, self.read_timeout),
            allow_redirects=self.follow_redirects,
        )

    def _retry_delay(
        self, response: requests.Response, safe: bool, attempt: int, endpoint: str
    ) -> float | None:
        """Seconds to wait before sending again, or None when the status is final."""
        if attempt >= self.max_retries:
            return None
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is None:
                return self._backoff(attempt + 1)
            return retry_after if retry_after <= self.max_retry_after else None
        if status in RETRY_STATUSES and (safe or status in RETRY_STATUSES_UNSAFE):
            return self._backoff(attempt + 1)
        return None

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, capped."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _wait(self, delay: float, endpoint: str, attempt: int, *, reason: str) -> None:
        logger.warning(
            "hdm.provider.retry",
            extra={
                "provider": self.name,
                "endpoint": endpoint,
                "attempt": attempt,
                "delay_s": round(delay, 3),
                "reason": reason,
            },
        )
        self._sleep(delay)

    def _transport_error(self, exc: requests.RequestException, endpoint: str) -> ProviderError:
        if isinstance(exc, requests.ConnectTimeout):
            message = f"no connection within {self.connect_timeout:g}s"
        elif isinstance(exc, requests.ReadTimeout):
            message = f"no answer within {self.read_timeout:g}s"
        elif isinstance(exc, requests.ConnectionError):
            message = f"cannot connect to {self.base_url} ({_root_cause(exc)})"
        else:
            message = f"request failed ({type(exc).__name__}: {_root_cause(exc)})"
        return ProviderUnavailable(message, provider=self.name, endpoint=endpoint)

    def _status_error(self, response: requests.Response, endpoint: str) -> ProviderError:
        status = response.status_code
        message = error_message(response) or response.reason or "no message"
        common = {"provider": self.name, "endpoint": endpoint, "status": status}
        if status in (401, 403):
            return ProviderAuthError(message, **common)
        if status == 404:
            return ProviderNotFound(message, **common)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return ProviderRateLimited(message, retry_after=retry_after or 0.0, **common)
        if status >= 500:
            return ProviderUnavailable(message, **common)
        return ProviderResponseError(f"unexpected status: {message}", **common)

    def _log_response(
        self, endpoint: str, response: requests.Response, started: float, attempt: int
    ) -> None:
        logger.debug(
            "hdm.provider.response",
            extra={
                "provider": self.name,
                "endpoint": endpoint,
                "status": response.status_code,
                "elapsed_ms": round((time.monotonic() - started) * 1000),
                "bytes": len(response.content),
                "attempt": attempt,
            },
        )

    def _log_failure(self, endpoint: str, error: ProviderError, attempt: int) -> None:
        logger.info(
            "hdm.provider.failed",
            extra={
                "provider": self.name,
                "endpoint": endpoint,
                "status": error.status,
                "error": type(error).__name__,
                "detail": error.message,
                "attempt": attempt,
            },
        )


def decode_json(
    response: requests.Response, *, provider: str, endpoint: str, allow_empty: bool = False
) -> Any:
    """The body as JSON, or a `ProviderResponseError` saying what it was instead."""
    body = response.content
    common = {"provider": provider, "endpoint": endpoint, "status": response.status_code}
    if not body.strip():
        if allow_empty:
            return None
        raise ProviderResponseError("empty body where JSON was expected", **common)
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type or body.lstrip()[:1] == b"<":
        raise ProviderResponseError(
            f"HTML page instead of JSON: {_snippet(_text(body))!r}", **common
        )
    try:
        return jsonlib.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProviderResponseError(
            f"malformed JSON ({exc}; {len(body)} bytes, truncated?)", **common
        ) from None


def error_message(response: requests.Response) -> str:
    """A short human message from an error body: a JSON string (slskd), `{"error": {...}}` or
    `{"error": "...", "error_description": ...}` (Spotify), `{"message": ...}`, or plain text."""
    text = _text(response.content).strip()
    if not text:
        return ""
    try:
        parsed = jsonlib.loads(text)
    except ValueError:
        return "" if text.startswith("<") else _snippet(text)
    return _snippet(_message_from(parsed) or text)


def _message_from(parsed: Any) -> str:
    if isinstance(parsed, str):
        return parsed
    if not isinstance(parsed, dict):
        return ""
    error = parsed.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("status") or "")
    if isinstance(error, str):
        description = parsed.get("error_description")
        return f"{error}: {description}" if description else error
    for key in ("message", "title", "detail"):
        if isinstance(parsed.get(key), str):
            return parsed[key]
    return ""


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: delta-seconds (decimals tolerated) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the server cannot have seen the request (refused or connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ReadTimeout):
        text = repr(exc)
        return "NewConnectionError" in text or "Connection refused" in text
    return False


def _root_cause(exc: BaseException) -> str:
    """The innermost reason urllib3 wrapped (e.g. "Connection refused"), briefly."""
    seen: BaseException | None = exc
    while seen is not None:
        exc = seen
        reason = getattr(seen, "reason", None)
        inner = seen.args[0] if seen.args else None
        seen = reason if isinstance(reason, BaseException) else None
        if seen is None and isinstance(inner, BaseException):
            seen = inner
    return _snippet(str(exc).split(": ", 1)[-1] or type(exc).__name__)


def _path_only(path: str) -> str:
    """The endpoint without query string: queries may carry search text or tokens."""
    return path.split("?", 1)[0]


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
