"""`Idempotency-Key`: a retried POST creates nothing new and gets the first answer again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import APIKey, IdempotencyRecord
from library.models import ScanRun

pytestmark = pytest.mark.django_db


def create_key(client, key: str | None, name: str = "ci"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/keys",
        {"name": name, "role": "viewer"},
        content_type="application/json",
        headers=headers,
    )


def test_same_key_and_body_replays_the_first_response(admin_api):
    first = create_key(admin_api, "abc-123")
    again = create_key(admin_api, "abc-123")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert APIKey.objects.filter(name="ci").count() == 1
    # The replay is the first answer, except the plain key: it is never stored, even here.
    assert again.json() == {**first.json(), "key": None}
    stored = IdempotencyRecord.objects.get(key="abc-123").response_body
    assert first.json()["key"] not in str(stored)


def test_same_key_with_another_body_is_a_409(admin_api):
    create_key(admin_api, "abc-123")
    response = create_key(admin_api, "abc-123", name="other")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not APIKey.objects.filter(name="other").exists()


def test_without_a_key_every_post_creates(admin_api):
    create_key(admin_api, None)
    create_key(admin_api, None)
    assert APIKey.objects.filter(name="ci").count() == 2


def test_keys_are_scoped_to_the_caller(admin_api, operator_api):
    body = {"path": ""}
    admin = admin_api.post(
        "/api/v1/library/scans",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "k"},
    )
    other = operator_api.post(
        "/api/v1/library/scans",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "k"},
    )
    assert admin.status_code == other.status_code == 201
    assert admin.json()["id"] != other.json()["id"]


def test_a_failed_request_frees_its_key(admin_api):
    bad = admin_api.post(
        "/api/v1/keys",
        {"name": ""},
        content_type="application/json",
        headers={"Idempotency-Key": "retry-me"},
    )
    assert bad.status_code == 400
    assert create_key(admin_api, "retry-me").status_code == 201


def test_expired_keys_are_forgotten(admin_api):
    create_key(admin_api, "old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert create_key(admin_api, "old").status_code == 201
    assert APIKey.objects.filter(name="ci").count() == 2


def test_a_request_still_running_is_a_409(admin_api):
    IdempotencyRecord.objects.create(caller="apikey:admin-key", key="busy", request_hash="x")
    response = create_key(admin_api, "busy")
    assert response.status_code == 409
    # The stored hash differs, so this reads as reuse; same hash while running is "in progress".
    record = IdempotencyRecord.objects.get(key="busy")
    from harmony_site.api.idempotency import _replay

    with pytest.raises(Exception) as caught:
        _replay(record, digest="x")
    assert caught.value.error_code == "idempotency_request_in_progress"


@pytest.mark.parametrize("key", ["", " lead", "x" * 256, "tab\there", "é"])
def test_malformed_keys_are_a_400(admin_api, key):
    response = admin_api.post(
        "/api/v1/keys",
        {"name": "ci"},
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


def test_scan_creation_is_idempotent(operator_api):
    headers = {"Idempotency-Key": "scan-1"}
    first = operator_api.post(
        "/api/v1/library/scans", {}, content_type="application/json", headers=headers
    )
    again = operator_api.post(
        "/api/v1/library/scans", {}, content_type="application/json", headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert ScanRun.objects.count() == 1
