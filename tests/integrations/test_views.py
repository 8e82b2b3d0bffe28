"""The Integrations page, the System panel and the REST API, through Django's test client."""

from __future__ import annotations

from datetime import timedelta

import pytest

from harmony_site.integrations import outbox, services
from harmony_site.integrations.models import Delivery, EventKind, Integration
from tests.fakes.base import Reply
from tests.integrations.conftest import T0
from tests.ui.conftest import admin, login, operator, viewer  # noqa: F401  (role clients)

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_notification_target_and_sends_a_test(admin, receiver):  # noqa: F811
    answer = admin.post(
        "/ui/integrations/add",
        {
            "kind": "apprise",
            "name": "phone",
            "url": receiver.apprise_url(),
            "events": ["track_imported", "job_failed"],
        },
    )
    assert answer.status_code == 302
    integration = Integration.objects.get()
    assert integration.events == ["track_imported", "job_failed"]

    page = admin.get("/ui/integrations")
    assert b"phone" in page.content and b"Send test" in page.content

    result = admin.post(f"/ui/integrations/{integration.pk}/test", HTTP_HX_REQUEST="true")
    assert b"state-ok" in result.content and b"Test message sent." in result.content
    assert receiver.received[0].json()["title"] == "Harmony: test message"


def test_a_bad_url_is_shown_on_the_form(admin):  # noqa: F811
    answer = admin.post(
        "/ui/integrations/add",
        {"kind": "apprise", "name": "x", "url": "nonsense://", "events": ["job_failed"]},
    )
    assert answer.status_code == 200
    assert b"Apprise does not understand this URL" in answer.content
    assert not Integration.objects.exists()


def test_only_an_admin_reaches_the_page(viewer, operator):  # noqa: F811
    assert viewer.get("/ui/integrations").status_code == 403
    assert operator.post("/ui/integrations/add", {}).status_code == 403


def test_a_failing_target_shows_on_the_system_panel_and_in_the_log(
    notifier,
    receiver,
    viewer,  # noqa: F811
    admin,  # noqa: F811
    settings,
):
    settings.INTEGRATIONS = {**settings.INTEGRATIONS, "INTEGRATIONS_MAX_ATTEMPTS": 1}
    receiver.inject("POST", r"/.*", Reply.empty(500))
    outbox.record_event(EventKind.HEALTH_BAD, {"line": "slskd: down"}, now=T0)
    services.run_tick(now=T0)
    assert Delivery.objects.get().state == "dead"

    system = viewer.get("/ui/system")
    assert b"1 integration problem" in system.content and b"phone" in system.content
    log = admin.get("/ui/integrations", HTTP_HX_REQUEST="true")
    assert b"Given up" in log.content and b"Retry" in log.content


def test_the_api_creates_lists_updates_and_tests_without_echoing_secrets(admin, receiver):  # noqa: F811
    secret = "webhook-secret-0123456789"
    created = admin.post(
        "/api/v1/integrations",
        {
            "kind": "webhook",
            "name": "hook",
            "url": f"{receiver.url}/t0ken",
            "secret": secret,
            "events": ["job_failed"],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["has_secret"] and "secret" not in body and "t0ken" not in body["url"]

    pk = body["id"]
    listed = admin.get("/api/v1/integrations").json()
    assert [row["name"] for row in listed["results"]] == ["hook"]
    patched = admin.patch(
        f"/api/v1/integrations/{pk}",
        {"enabled": False, "secret": ""},
        content_type="application/json",
    )
    assert patched.json()["enabled"] is False
    tested = admin.post(f"/api/v1/integrations/{pk}/test")
    assert tested.json()["ok"] is True
    assert receiver.received[0].headers["x-harmony-event"] == "test", "stored secret kept"

    bad = admin.post(
        "/api/v1/integrations",
        {"kind": "plex", "name": "p", "url": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_integration"


def test_the_api_lists_deliveries_and_retries_only_dead_ones(notifier, admin):  # noqa: F811
    outbox.record_event(EventKind.HEALTH_BAD, {"line": "x"}, now=T0)
    [delivery_id] = outbox.flush_events(now=T0)
    listed = admin.get("/api/v1/integrations/deliveries?state=pending").json()
    assert [row["id"] for row in listed["results"]] == [delivery_id]
    assert admin.post(f"/api/v1/integrations/deliveries/{delivery_id}/retry").status_code == 409
    Delivery.objects.filter(pk=delivery_id).update(state="dead")
    retried = admin.post(f"/api/v1/integrations/deliveries/{delivery_id}/retry")
    assert retried.json()["state"] == "retry"


def test_metrics_count_deliveries_and_failed_attempts(notifier, receiver, admin):  # noqa: F811
    receiver.inject("POST", r"/.*", Reply.empty(500))
    outbox.record_event(EventKind.HEALTH_BAD, {"line": "x"}, now=T0)
    services.run_tick(now=T0)
    services.run_tick(now=T0 + timedelta(days=1))
    text = admin.get("/api/v1/metrics").content.decode()
    assert 'harmony_integration_deliveries{kind="apprise",state="sent"} 1.0' in text
    assert 'harmony_integration_failed_attempts_total{kind="apprise"} 1.0' in text
