"""JSON log lines with request ids, and secrets redacted from every part of a line."""

import io
import json
import logging

import pytest

from harmony_site import logs
from harmony_site.logs import logging_config, redact, register_secret


@pytest.fixture
def captured():
    """A logger with the production formatter and filter, writing into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.HarmonyJsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("hdm.test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_line_is_json_with_time_level_logger_message_and_extra_fields(captured):
    logger, stream = captured
    token = logs.request_id_var.set("req-42")
    try:
        logger.info("hdm.move.completed", extra={"track_id": 7})
    finally:
        logs.request_id_var.reset(token)
    line = json.loads(stream.getvalue())
    assert line["level"] == "INFO"
    assert line["logger"] == "hdm.test"
    assert line["message"] == "hdm.move.completed"
    assert line["track_id"] == 7
    assert line["request_id"] == "req-42"
    assert "time" in line


def test_registered_secret_is_redacted_in_message_args_extra_and_traceback(captured):
    logger, stream = captured
    secret = 'tok"en-\\9f8e7d6c'
    register_secret(secret)
    logger.warning("refresh with %s failed", secret, extra={"token": secret})
    try:
        raise RuntimeError(f"bad token {secret}")
    except RuntimeError:
        logger.exception("hdm.spotify.refresh_failed")
    output = stream.getvalue()
    assert secret not in output
    assert json.dumps(secret)[1:-1] not in output
    assert output.count(logs.REDACTED) == 3  # message, extra field, traceback


def test_configured_secrets_include_knobs_api_keys_and_url_passwords(settings):
    from harmony_site.config import KNOBS_BY_NAME

    found = logs.configured_secrets()
    assert settings.SECRET_KEY in found
    assert KNOBS_BY_NAME["HARMONY_API_KEYS"].secret
    assert logs._url_password("postgres://harmony:s3cr%40t@db:5432/h") == "s3cr@t"


def test_short_values_are_not_treated_as_secrets():
    register_secret("ab")
    assert redact("ab cd") == "ab cd"


@pytest.mark.parametrize(
    ("header", "kept"), [("abc-123", True), ("x" * 65, False), ("a b\nc", False), (None, False)]
)
def test_request_id_is_taken_from_a_safe_header_or_made(header, kept):
    request_id = logs._request_id_from(header)
    assert (request_id == header) is kept
    assert logs._SAFE_REQUEST_ID.match(request_id)


def test_config_routes_django_q_through_the_json_handler():
    config = logging_config("INFO")
    assert config["loggers"]["django-q"]["handlers"] == ["stdout"]
    assert config["handlers"]["stdout"]["formatter"] == "json"


def test_middleware_echoes_the_client_request_id(client):
    response = client.get("/live", HTTP_X_REQUEST_ID="client-id-1")
    assert response["X-Request-ID"] == "client-id-1"
