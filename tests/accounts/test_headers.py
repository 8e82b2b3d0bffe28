"""Security headers and CORS on UI and API responses."""

import pytest

pytestmark = pytest.mark.django_db

STRICT = ("default-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'")


@pytest.mark.parametrize("path", ["/ui/login/", "/api/v1/status", "/api/v1/health"])
def test_security_headers_on_ui_and_api(client, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert all(part in policy for part in STRICT)
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_api_docs_get_their_scoped_style_exception(rf):
    from django.http import HttpResponse

    from accounts.csp import HarmonyCSPMiddleware

    middleware = HarmonyCSPMiddleware(lambda request: HttpResponse())
    docs = middleware(rf.get("/api/docs"))["Content-Security-Policy"]
    ui = middleware(rf.get("/ui/"))["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in docs
    assert "unsafe-inline" not in ui


def test_cors_allows_any_origin_without_credentials_by_default(client, api_key):
    # Once a key exists (the API is not open), `ALLOWED_ORIGINS=*` means any origin may call.
    api_key()
    response = client.get("/api/v1/health", headers={"Origin": "https://ha.example"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


def test_cors_is_not_offered_on_the_ui(client):
    response = client.get("/ui/login/", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response
