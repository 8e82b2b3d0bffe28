"""API keys (admin), provider state and tests, Spotify search and OAuth over the API."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import APIKey

pytestmark = pytest.mark.django_db


def test_create_shows_the_key_once_and_it_works(admin_api):
    created = admin_api.post(
        "/api/v1/keys",
        {"name": "ha", "role": "operator", "expires_in_days": 30},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    plaintext = body["key"]
    assert body["role"] == "operator" and body["expires"]
    listed = admin_api.get("/api/v1/keys").json()["results"]
    assert all("key" not in row and "hashed_key" not in row for row in listed)
    assert plaintext not in admin_api.get("/api/v1/keys").content.decode()
    fresh = Client(headers={"X-API-Key": plaintext})
    assert fresh.get("/api/v1/library/tracks").status_code == 200


@pytest.mark.parametrize("how", ["delete", "post"])
def test_revoke_by_delete_or_post(admin_api, how):
    body = admin_api.post("/api/v1/keys", {"name": "tmp"}, content_type="application/json").json()
    url = f"/api/v1/keys/{body['prefix']}"
    response = admin_api.delete(url) if how == "delete" else admin_api.post(url + "/revoke")
    assert response.status_code == 200 and response.json()["revoked"]
    assert APIKey.objects.get(prefix=body["prefix"]).revoked
    assert Client(headers={"X-API-Key": body["key"]}).get("/api/v1/activity").status_code == 401


def test_unknown_key_is_a_404(admin_api):
    assert admin_api.delete("/api/v1/keys/nothere").status_code == 404


def test_non_admins_cannot_manage_keys(operator_api):
    assert operator_api.get("/api/v1/keys").status_code == 403
    assert (
        operator_api.post(
            "/api/v1/keys", {"name": "x"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_providers_report_their_state(viewer_api):
    rows = viewer_api.get("/api/v1/providers").json()
    assert [row["name"] for row in rows] == ["slskd", "spotify"]
    assert {row["state"] for row in rows} == {"disabled"}  # nothing configured in tests


def test_provider_test_probes_one(operator_api):
    response = operator_api.post("/api/v1/providers/slskd/test")
    assert response.status_code == 200 and response.json()["state"] == "disabled"
    assert operator_api.post("/api/v1/providers/lastfm/test").status_code == 404


def test_provider_test_against_the_fake_slskd(operator_api, fake_slskd, monkeypatch):
    from providers.slskd import probes

    monkeypatch.setattr(probes, "load_slskd_config", lambda: fake_slskd_config(fake_slskd))
    body = operator_api.post("/api/v1/providers/slskd/test").json()
    assert body["state"] in ("ok", "fail") and body["latency_ms"] >= 0


def fake_slskd_config(fake):
    from dataclasses import replace

    from providers.slskd.client import load_slskd_config

    return replace(load_slskd_config(), url=fake.url, api_key=fake.api_key)


def test_spotify_search_without_spotify_is_a_409(viewer_api):
    response = viewer_api.get("/api/v1/spotify/search?q=teardrop")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "provider_not_configured"


@pytest.mark.parametrize(
    "query", ["", "q=", "q=x&limit=11", "q=x&limit=0", "q=x&type=album", "q=" + "x" * 201]
)
def test_spotify_search_validates_its_query(viewer_api, query):
    response = viewer_api.get("/api/v1/spotify/search?" + query)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_oauth_status_and_authorize_without_spotify(admin_api):
    status = admin_api.get("/api/v1/oauth/status").json()
    assert status["configured"] is False
    response = admin_api.get("/api/v1/oauth/authorize")
    assert response.status_code == 409 and response.json()["error"]["code"] == "oauth_error"


def test_spotify_search_against_the_fake(viewer_api, spotify_env):
    some_title = next(iter(spotify_env.catalogue.tracks.values()))
    title = some_title["name"] if isinstance(some_title, dict) else some_title.name
    response = viewer_api.get("/api/v1/spotify/search", {"q": title, "limit": 3})
    assert response.status_code == 200, response.json()
    results = response.json()
    assert 1 <= len(results) <= 3
    assert results[0]["url"].startswith("https://open.spotify.com/track/")
