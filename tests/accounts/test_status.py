"""`GET /api/v1/status` tells whether the API is open or needs keys."""

import pytest

from accounts import services

pytestmark = pytest.mark.django_db


def test_status_shows_open_mode_until_a_key_exists(client):
    assert client.get("/api/v1/status").json()["sections"]["auth"] == {"mode": "open"}
    _, key = services.create_api_key(name="ha", role="viewer", actor="test")
    assert client.get("/api/v1/status").status_code == 401
    response = client.get("/api/v1/status", headers={"Authorization": f"Bearer {key}"})
    assert response.json()["sections"]["auth"] == {"mode": "keys"}


def test_health_stays_open_when_keys_exist(client):
    services.create_api_key(name="ha", role="viewer", actor="test")
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/health/ready").status_code in (200, 503)


@pytest.mark.parametrize(
    ("headers", "query", "code"),
    [
        ({"X-API-Key": "wrong.key"}, "", "invalid_api_key"),
        ({}, "", "not_authenticated"),
        ({}, "?api_key=wrong.key", "api_key_in_query"),
    ],
)
def test_refusals_use_the_api_error_shape(client, headers, query, code):
    services.create_api_key(name="ha", role="viewer", actor="test")
    response = client.get(f"/api/v1/status{query}", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
