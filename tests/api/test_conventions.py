"""The API's conventions: one error shape, JSON everywhere, limits, pagination, timestamps."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from harmony_site.api.pagination import MAX_PAGE_SIZE
from tests.api.conftest import make_library

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["details"], dict) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_unknown_api_url_is_a_json_404(admin_api):
    assert_error(admin_api.get("/api/v1/nope"), 404, "not_found")
    assert_error(admin_api.get("/api/nothing/here"), 404, "not_found")


def test_ui_404_stays_html(admin_api):
    response = admin_api.get("/ui/definitely-not-a-page/")
    assert not response["Content-Type"].startswith("application/json")


def test_missing_object_is_a_json_404(admin_api):
    assert_error(admin_api.get("/api/v1/library/tracks/999999"), 404, "not_found")


def test_wrong_method_is_a_json_405(admin_api):
    error = assert_error(admin_api.delete("/api/v1/library/tracks"), 405, "method_not_allowed")
    assert "DELETE" in error["message"]


def test_plain_django_view_405_is_json(admin_api):
    response = admin_api.post("/api/health/live")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_no_credentials_is_a_json_401(admin_api):
    assert_error(Client().get("/api/v1/library/tracks"), 401, "not_authenticated")


def test_wrong_key_is_a_json_401(admin_api):
    client = Client(headers={"X-API-Key": "nope.nope"})
    assert_error(client.get("/api/v1/library/tracks"), 401, "invalid_api_key")


def test_insufficient_role_is_a_json_403(viewer_api):
    assert_error(viewer_api.get("/api/v1/settings"), 403, "permission_denied")


def test_malformed_json_is_a_400_with_details(admin_api):
    response = admin_api.post("/api/v1/keys", data=b'{"name": ', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_invalid_utf8_is_a_400(admin_api):
    response = admin_api.post(
        "/api/v1/keys", data=b'{"name": "\xff\xfe"}', content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


def test_non_json_body_is_a_415(admin_api):
    response = admin_api.post("/api/v1/keys", data="name=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_body_over_the_limit_is_a_413(admin_api, settings):
    from harmony_site.config import get_config

    limit = get_config()["API_MAX_BODY_BYTES"]
    body = b'{"name": "' + b"x" * limit + b'"}'
    response = admin_api.post("/api/v1/keys", data=body, content_type="application/json")
    error = assert_error(response, 413, "request_too_large")
    assert error["details"]["max_bytes"] == limit


def test_field_errors_are_a_400_listing_each_field(admin_api):
    response = admin_api.post(
        "/api/v1/keys", {"name": "x" * 51, "role": "emperor"}, content_type="application/json"
    )
    error = assert_error(response, 400, "validation_error")
    assert set(error["details"]) == {"name", "role"}


def test_wrong_type_is_a_400(admin_api):
    response = admin_api.post(
        "/api/v1/keys", {"name": ["a", "list"], "role": 5}, content_type="application/json"
    )
    assert_error(response, 400, "validation_error")


def test_invalid_filter_value_is_a_400(admin_api):
    error = assert_error(admin_api.get("/api/v1/library/files?format=aiff"), 400)
    assert "format" in error["details"]
    assert_error(admin_api.get("/api/v1/library/tracks?artist=abc"), 400)
    assert_error(admin_api.get("/api/v1/library/tracks?artist=99999999999999999999999"), 400)
    assert_error(admin_api.get("/api/v1/library/tracks?search=" + "x" * 201), 400)


def test_unhandled_exception_is_a_json_500(admin_api, monkeypatch):
    from library.api import views

    def boom():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "tracks", boom)
    error = assert_error(admin_api.get("/api/v1/library/tracks"), 500, "server_error")
    assert "secret internals" not in error["message"]


def test_throttled_is_a_json_429_with_retry_after(db, knobs):
    knobs["API_KEY_FAILURE_LIMIT"] = 1
    client = Client(headers={"X-API-Key": "wrong.key"})
    client.get("/api/v1/library/tracks")
    response = client.get("/api/v1/library/tracks")
    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) == error["details"]["retry_after"] > 0


def test_bad_host_header_under_api_is_json(admin_api, settings):
    settings.ALLOWED_HOSTS = ["harmony.example"]
    assert_error(admin_api.get("/api/v1/library/tracks"), 400)


def test_pagination_caps_the_page_size(admin_api):
    make_library(MAX_PAGE_SIZE + 5)
    body = admin_api.get("/api/v1/library/tracks?page_size=10000").json()
    assert body["count"] == MAX_PAGE_SIZE + 5
    assert len(body["results"]) == MAX_PAGE_SIZE
    assert body["next"] and body["previous"] is None
    assert len(admin_api.get("/api/v1/library/tracks").json()["results"]) == 50
    assert len(admin_api.get("/api/v1/library/tracks?page_size=7").json()["results"]) == 7


def test_a_page_past_the_end_is_a_json_404(admin_api):
    make_library(3)
    assert_error(admin_api.get("/api/v1/library/tracks?page=5"), 404, "not_found")


def test_timestamps_are_utc_iso_8601_with_z(admin_api, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    make_library(1)
    track = admin_api.get("/api/v1/library/tracks").json()["results"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", track["created_at"])


def test_schema_carries_the_version_and_the_error_component(db):
    from harmony_site.version import __version__

    response = Client().get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == __version__
    assert "Error" in schema["components"]["schemas"]
    assert {"ApiKeyAuth", "BearerAuth", "cookieAuth"} <= set(
        schema["components"]["securitySchemes"]
    )
    tracks = schema["paths"]["/api/v1/library/tracks"]["get"]["responses"]
    assert tracks["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    scans = schema["paths"]["/api/v1/library/scans"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in scans["parameters"]}
    assert "/api/health/ready" in schema["paths"]


def test_docs_are_served_locally_under_the_csp(db):
    page = Client().get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html.replace("https://i.scdn.co", "")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    script = Client().get("/api/docs?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_every_creating_post_accepts_an_idempotency_key(db):
    schema = Client().get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    creating = {
        path: operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method == "post" and "201" in operation["responses"]
    }
    assert "/api/v1/library/scans" in creating and "/api/v1/keys" in creating
    missing = [
        path
        for path, operation in creating.items()
        if "Idempotency-Key" not in {p["name"] for p in operation.get("parameters", [])}
    ]
    assert not missing, f"POSTs answering 201 without @idempotent: {missing}"


def test_every_operation_documents_the_error_shape(db):
    schema = Client().get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if not path.startswith("/api/health/")
        and path != "/api/v1/health"
        and "401" not in operation["responses"]
    ]
    assert not undocumented
