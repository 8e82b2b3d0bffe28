"""API authentication: open mode, header keys, roles, refusals and the failed-key throttle."""

from datetime import timedelta

import pytest
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts import services
from accounts.auth import APIKeyAuthentication
from accounts.models import APIKey

pytestmark = [pytest.mark.urls("tests.accounts.api_urls"), pytest.mark.django_db]


def refusal_code(headers: dict[str, str], query: str = "") -> str:
    """The code APIKeyAuthentication refuses with (the API's error handler shows it)."""
    request = Request(APIRequestFactory().get(f"/api/v1/viewer{query}", headers=headers))
    with pytest.raises(exceptions.AuthenticationFailed) as caught:
        APIKeyAuthentication().authenticate(request)
    return caught.value.get_codes()


def test_without_any_key_the_api_is_open(client):
    assert client.post("/api/v1/admin").status_code == 200


def test_configured_key_gives_admin_access(client, knobs):
    knobs["HARMONY_API_KEYS"] = ["env-key-1", "env-key-2"]
    assert client.get("/api/v1/default").status_code == 401
    response = client.post("/api/v1/admin", headers={"X-API-Key": "env-key-2"})
    assert response.status_code == 200
    assert response.json()["user"] == "apikey:env"
    assert client.get("/api/v1/default", headers={"X-API-Key": "env-key-3"}).status_code == 401


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_database_key_is_accepted_in_either_header(client, api_key, header):
    key = api_key("operator")
    value = key if header == "X-API-Key" else f"Bearer {key}"
    response = client.post("/api/v1/operator", headers={header: value})
    assert response.status_code == 200
    assert response.json()["user"] == "apikey:operator-key"


def test_once_a_key_exists_anonymous_callers_get_401_json(client, api_key):
    api_key()
    response = client.get("/api/v1/viewer")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("role", "path", "method", "status"),
    [
        ("viewer", "/api/v1/viewer", "post", 200),
        ("viewer", "/api/v1/operator", "get", 200),
        ("viewer", "/api/v1/operator", "post", 403),
        ("operator", "/api/v1/operator", "post", 200),
        ("operator", "/api/v1/default", "get", 200),
        ("operator", "/api/v1/default", "post", 403),
        ("operator", "/api/v1/admin", "get", 403),
        ("admin", "/api/v1/admin", "post", 200),
    ],
)
def test_key_roles_decide_reads_and_writes(client, api_key, role, path, method, status):
    key = api_key(role)
    response = getattr(client, method)(path, headers={"X-API-Key": key})
    assert response.status_code == status


def test_wrong_key_is_refused_with_401(client, api_key):
    key = api_key()
    prefix = key.partition(".")[0]
    for wrong in (f"{prefix}.not-the-secret", "no-dot-at-all", "abc.def"):
        response = client.get("/api/v1/viewer", headers={"X-API-Key": wrong})
        assert response.status_code == 401
        assert refusal_code({"X-API-Key": wrong}) == "invalid_api_key"


def test_revoked_key_is_refused(client, api_key):
    key = api_key()
    services.revoke_api_key(key=key.partition(".")[0], actor="test")
    response = client.get("/api/v1/viewer", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert refusal_code({"Authorization": f"Bearer {key}"}) == "api_key_revoked"


def test_expired_key_is_refused(client, api_key):
    key = api_key()
    APIKey.objects.update(expiry_date="2000-01-01T00:00:00Z")
    response = client.get("/api/v1/viewer", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert refusal_code({"X-API-Key": key}) == "api_key_expired"


def test_key_with_future_expiry_works(client, api_key):
    key = api_key(expires=timedelta(days=1))
    assert client.get("/api/v1/viewer", headers={"X-API-Key": key}).status_code == 200


def test_revoking_every_key_does_not_reopen_the_api(client, api_key):
    key = api_key()
    services.revoke_api_key(key=key.partition(".")[0], actor="test")
    assert client.get("/api/v1/viewer").status_code == 401


@pytest.mark.parametrize("param", ["api_key", "key", "token"])
def test_key_in_the_query_string_is_refused_even_when_valid(client, api_key, param):
    key = api_key()
    response = client.get(f"/api/v1/viewer?{param}={key}")
    assert response.status_code == 401
    assert refusal_code({}, f"?{param}={key}") == "api_key_in_query"
    # ... also while the API is otherwise open
    APIKey.objects.all().delete()
    assert client.get(f"/api/v1/viewer?{param}=x").status_code == 401


def test_repeated_wrong_keys_are_throttled_with_429(client, api_key, knobs):
    knobs["API_KEY_FAILURE_LIMIT"] = 3
    key = api_key()
    for _ in range(3):
        assert client.get("/api/v1/viewer", headers={"X-API-Key": "x.y"}).status_code == 401
    response = client.get("/api/v1/viewer", headers={"X-API-Key": key})
    assert response.status_code == 429
    assert "Retry-After" in response
    other_ip = client.get("/api/v1/viewer", headers={"X-API-Key": key}, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


def test_last_used_is_recorded_at_most_once_a_minute(client, api_key):
    key = api_key()
    client.get("/api/v1/viewer", headers={"X-API-Key": key})
    first = APIKey.objects.get().last_used
    assert first is not None
    client.get("/api/v1/viewer", headers={"X-API-Key": key})
    assert APIKey.objects.get().last_used == first


def test_session_user_may_call_the_api_but_writes_need_csrf(api_key, logged_in):
    api_key()
    client = logged_in("operator", enforce_csrf_checks=True)
    assert client.get("/api/v1/operator").status_code == 200
    json = {"data": "{}", "content_type": "application/json"}
    assert client.post("/api/v1/operator", **json).status_code == 403
    token = "A" * 32  # any well-formed token works when cookie and header agree
    client.cookies["csrftoken"] = token
    response = client.post("/api/v1/operator", headers={"X-CSRFToken": token}, **json)
    assert response.status_code == 200


def test_plain_key_is_nowhere_in_the_database(api_key):
    from io import StringIO

    from django.core.management import call_command

    key = api_key()
    secret_part = key.partition(".")[2]
    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    assert secret_part not in dump.getvalue()
    assert key not in dump.getvalue()
    stored = APIKey.objects.get()
    assert stored.hashed_key.startswith("sha512$$")


def test_client_ip_trusts_forwarded_for_only_behind_a_proxy(rf, knobs):
    from accounts.auth import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "10.0.0.1"
    knobs["BEHIND_PROXY"] = True
    # The proxy appends the real client last; anything before it the client could forge.
    assert client_ip(request) == "203.0.113.9"
