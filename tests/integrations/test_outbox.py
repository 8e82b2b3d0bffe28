"""Events → batched deliveries → sent, retried with backoff, or given up; never twice."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from harmony_site.integrations import outbox, services
from harmony_site.integrations.models import Delivery, Event, EventKind
from tests.fakes.base import Reply
from tests.fakes.receiver import FakeNtfy
from tests.integrations.conftest import T0

pytestmark = pytest.mark.django_db


def _imports(n: int, *, start=T0) -> None:
    for i in range(n):
        outbox.record_event(
            EventKind.TRACK_IMPORTED,
            {"line": f"Artist — Song {i}", "folder": f"Artist/Album {i % 3}"},
            now=start + timedelta(seconds=i),
        )


def test_a_500_track_playlist_sends_one_summary_once_imports_settle(notifier, receiver, settings):
    settings.INTEGRATIONS = {**settings.INTEGRATIONS, "INTEGRATIONS_SETTLE_S": 60}
    _imports(500)
    last = T0 + timedelta(seconds=499)

    assert outbox.flush_events(now=last + timedelta(seconds=30)) == [], "not settled yet"
    report = services.run_tick(now=last + timedelta(seconds=60))

    assert report["batched"] == 1 and report["sent"] == 1
    assert len(receiver.received) == 1
    message = receiver.received[0].json()
    assert message["title"] == "Harmony: 500 tracks imported"
    assert "… and 480 more" in message["message"]
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.event_count) == ("sent", 500)
    assert delivery.payload["folders"] == ["Artist/Album 0", "Artist/Album 1", "Artist/Album 2"]
    assert not Event.objects.filter(batched_at__isnull=True).exists()


def test_a_batch_that_keeps_growing_goes_out_after_the_longest_wait(notifier, settings):
    settings.INTEGRATIONS = {
        **settings.INTEGRATIONS,
        "INTEGRATIONS_SETTLE_S": 60,
        "INTEGRATIONS_MAX_WAIT_S": 300,
    }
    _imports(301)  # one per second: never 60 s of quiet
    assert len(outbox.flush_events(now=T0 + timedelta(seconds=300))) == 1


def test_each_target_gets_only_the_events_it_filters_for(db, receiver):
    services.create_integration(
        kind="apprise",
        name="dlq only",
        url=receiver.apprise_url(),
        events=[EventKind.JOB_FAILED],
        actor="test",
    )
    _imports(3)
    outbox.record_event(EventKind.JOB_FAILED, {"line": "X: no candidates"}, now=T0)

    services.run_tick(now=T0 + timedelta(hours=1))

    assert [r.json()["title"] for r in receiver.received] == ["Harmony: 1 download failed"]
    assert not Event.objects.filter(kind=EventKind.TRACK_IMPORTED).exists(), (
        "nobody listens to imports, so none is stored"
    )


def test_a_failing_target_is_retried_with_backoff_then_given_up(
    notifier, receiver, settings, caplog
):
    settings.INTEGRATIONS = {
        **settings.INTEGRATIONS,
        "INTEGRATIONS_MAX_ATTEMPTS": 3,
        "INTEGRATIONS_BACKOFF_S": 60,
    }
    receiver.inject("POST", r"/.*", Reply.empty(503), times=3)
    outbox.record_event(EventKind.HEALTH_BAD, {"line": "slskd: down"}, now=T0)
    [delivery_id] = outbox.flush_events(now=T0)

    caplog.set_level(logging.WARNING, logger="hdm.integrations")
    assert outbox.deliver(delivery_id, now=T0) == "retry"
    first = Delivery.objects.get()
    assert first.next_attempt_at >= T0 + timedelta(seconds=30), "backoff with equal jitter"
    assert outbox.deliver(delivery_id, now=T0) == "skipped", "not due yet"
    assert outbox.deliver(delivery_id, now=first.next_attempt_at) == "retry"
    second = Delivery.objects.get()
    assert second.next_attempt_at - first.next_attempt_at >= timedelta(seconds=60)
    assert outbox.deliver(delivery_id, now=second.next_attempt_at) == "dead"

    dead = Delivery.objects.get()
    assert (dead.attempts, dead.failures) == (3, 3) and "JSON" in dead.last_error
    assert [r.message for r in caplog.records].count("hdm.notify.failed") == 3
    assert outbox.retry_delivery(dead, actor="test", now=T0)
    assert Delivery.objects.get().state == "retry"
    services.run_tick(now=T0 + timedelta(days=1))
    assert Delivery.objects.get().state == "sent"


def test_a_delivery_is_claimed_so_it_is_never_sent_twice(notifier, receiver):
    outbox.record_event(EventKind.HEALTH_BAD, {"line": "x"}, now=T0)
    [delivery_id] = outbox.flush_events(now=T0)
    assert outbox.deliver(delivery_id, now=T0) == "sent"
    assert outbox.deliver(delivery_id, now=T0) == "skipped"
    assert len(receiver.received) == 1


def test_a_delivery_left_sending_by_a_dead_worker_is_retried_after_its_lease(notifier, receiver):
    outbox.record_event(EventKind.HEALTH_BAD, {"line": "x"}, now=T0)
    [delivery_id] = outbox.flush_events(now=T0)
    Delivery.objects.filter(pk=delivery_id).update(state="sending", updated_at=T0)
    assert outbox.due_deliveries(now=T0 + timedelta(minutes=1)) == []
    assert outbox.due_deliveries(now=T0 + timedelta(minutes=11)) == [delivery_id]


def test_events_batched_by_another_flush_are_not_batched_again(notifier):
    _imports(2)
    events = list(Event.objects.all())
    Event.objects.filter(pk=events[0].pk).update(batched_at=T0)  # the other flush won one
    assert outbox._batch(EventKind.TRACK_IMPORTED, events, now=T0) == []
    assert not Delivery.objects.exists()
    assert Event.objects.filter(batched_at__isnull=True).count() == 1, "rolled back"


def test_a_disabled_target_receives_nothing(notifier, receiver):
    services.update_integration(notifier, enabled=False, actor="test")
    assert outbox.record_event(EventKind.HEALTH_BAD, {"line": "x"}, now=T0) is None


def test_old_batched_events_and_sent_deliveries_are_purged_but_failures_stay(notifier):
    outbox.record_event(EventKind.HEALTH_BAD, {"line": "x"}, now=T0)
    outbox.record_event(EventKind.JOB_FAILED, {"line": "y"}, now=T0)
    sent, dead = outbox.flush_events(now=T0 + timedelta(hours=1))
    Delivery.objects.filter(pk=sent).update(state="sent")
    Delivery.objects.filter(pk=dead).update(state="dead")
    assert outbox.purge_old(now=T0 + timedelta(hours=2)) == 0
    assert outbox.purge_old(now=T0 + timedelta(days=92)) == 3
    assert list(Delivery.objects.values_list("pk", flat=True)) == [dead]


def test_an_ntfy_target_gets_the_batch_with_its_credentials(db):
    with FakeNtfy(user="harmony", password="pa55word") as ntfy:
        services.create_integration(
            kind="apprise",
            name="ntfy",
            url=ntfy.apprise_url("music"),
            events=[EventKind.TRACK_IMPORTED],
            actor="test",
        )
        _imports(3)
        services.run_tick(now=T0 + timedelta(hours=1))
    assert [(m["topic"], m["title"]) for m in ntfy.messages] == [
        ("music", "Harmony: 3 tracks imported")
    ]


def test_an_ntfy_target_with_a_wrong_password_is_retried(db):
    with FakeNtfy(user="harmony", password="pa55word") as ntfy:
        url = ntfy.apprise_url("music").replace("pa55word", "wrong")
        services.create_integration(
            kind="apprise", name="ntfy", url=url, events=[EventKind.HEALTH_BAD], actor="test"
        )
        outbox.record_event(EventKind.HEALTH_BAD, {"line": "x"}, now=T0)
        assert services.run_tick(now=T0)["failed"] == 1
    assert ntfy.messages == []
    assert "unauthorized" in Delivery.objects.get().last_error
