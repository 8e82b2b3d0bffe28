"""JSON log lines on stdout, a request id on every line, and secrets never written.

Every process (gunicorn master and workers, the task cluster, management commands) logs
through `logging_config()`: one JSON object per line with `time`, `level`, `logger`,
`message`, `request_id` and any `extra={...}` fields.

Redaction happens on the finished line, so a secret cannot slip out through a message,
an argument, an `extra` field or a traceback. Redacted are the values of every knob marked
`secret=True`, each `HARMONY_API_KEYS` entry, the password inside `DATABASE_URL` and
`HARMONY_BROKER_URL`, whatever other code passes to `register_secret()` (every secret that
goes through `harmony_site.secrets`, every API key Harmony creates), and the value of any URL query
parameter named like a key, token, secret, password or code (`?api_key=…`): Django's request
logger writes the full path of a failed request, and a pasted key must not land in the log.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from pythonjsonlogger.json import JsonFormatter

REDACTED = "[redacted]"
# Shorter values would blank out ordinary words; nobody's real secret is this short.
MIN_SECRET_LENGTH = 4
MAX_REGISTERED = 256
REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# `?api_key=…`, `&access_token=…`, `?code=…` (OAuth): the name is kept, the value redacted.
_SECRET_QUERY_PARAM = re.compile(
    r"(?i)([?&;][\w.-]*(?:key|token|secret|password|passwd|code)=)[^&;#\s\"'<>\\]+"
)
# Health probes arrive every few seconds; their request lines are logged at DEBUG only.
_QUIET_PATHS = ("/live", "/api/health/", "/api/v1/health", "/api/v1/metrics", "/static/")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
logger = logging.getLogger("hdm.http")

_registered: dict[str, None] = {}  # insertion-ordered set
_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None
_pattern_built_from: frozenset[str] = frozenset()
_config_secrets: tuple[Any, frozenset[str]] | None = None


def register_secret(value: str | None) -> None:
    """Never log `value` (a token, key or password learnt at run time) in this process.

    The newest `MAX_REGISTERED` values are kept: access tokens refreshed every hour would
    otherwise grow the redaction pattern without end, and the old ones have expired.
    """
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _registered.pop(value, None)
            _registered[value] = None
            while len(_registered) > MAX_REGISTERED:
                del _registered[next(iter(_registered))]


def _url_password(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def configured_secrets() -> frozenset[str]:
    """Secrets known from the configuration: secret knobs, API keys, passwords inside URLs."""
    from harmony_site.config import get_config

    global _config_secrets
    config = get_config()
    if _config_secrets is None or _config_secrets[0] is not config:
        _config_secrets = (config, _secrets_of(config))
    return _config_secrets[1]


def _secrets_of(config: Any) -> frozenset[str]:
    from harmony_site.config import KNOBS

    found: set[str] = set()
    for knob in KNOBS:
        if not knob.secret:
            continue
        value = config[knob.name]
        values = value if isinstance(value, list) else [value]
        found.update(str(item) for item in values if item)
        if isinstance(value, str) and "://" in value:
            found.add(_url_password(value) or "")
    return frozenset(item for item in found if len(item) >= MIN_SECRET_LENGTH)


def _variants(secrets: Iterable[str]) -> set[str]:
    # JSON escapes quotes and backslashes; redact the secret as it appears on the line too.
    out: set[str] = set()
    for secret in secrets:
        out.add(secret)
        out.add(json.dumps(secret)[1:-1])
    return out


def _secret_pattern() -> re.Pattern[str] | None:
    global _pattern, _pattern_built_from
    with _lock:
        registered = frozenset(_registered)
    try:
        known = configured_secrets() | registered
    except Exception:  # configuration not loadable: log what we can rather than nothing
        known = registered
    if known != _pattern_built_from:
        ordered = sorted(_variants(known), key=len, reverse=True)  # longest first
        _pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        _pattern_built_from = known
    return _pattern


def redact(text: str) -> str:
    """`text` with every known secret and secret-named query parameter value redacted."""
    pattern = _secret_pattern()
    text = pattern.sub(REDACTED, text) if pattern else text
    return _SECRET_QUERY_PARAM.sub(rf"\1{REDACTED}", text)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served (or null)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class HarmonyJsonFormatter(JsonFormatter):
    """python-json-logger with Harmony's field names and secret redaction on the final line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["asctime", "levelname", "name", "message"])
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return redact(super().format(record))


def logging_config(level: str) -> dict[str, Any]:
    """The dictConfig for every Harmony process: JSON lines on stdout at `level`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": HarmonyJsonFormatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # django-q2 installs its own plain-text handler unless its logger has one.
            "django-q": {"handlers": ["stdout"], "level": level, "propagate": False},
            "gunicorn.error": {"handlers": ["stdout"], "level": level, "propagate": False},
        },
    }


def _request_id_from(header: str | None) -> str:
    if header and _SAFE_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Take a client's `X-Request-ID` (or make one), log under it, and echo it back."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        request_id = _request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            _log_request(request, response.status_code, started)
            return response
        finally:
            request_id_var.reset(token)


def _log_request(request: Any, status: int, started: float) -> None:
    quiet = request.path.startswith(_QUIET_PATHS) and status < 400
    # The path only: a query string may carry something a user pasted by mistake.
    logger.log(
        logging.DEBUG if quiet else logging.INFO,
        "hdm.http.request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
