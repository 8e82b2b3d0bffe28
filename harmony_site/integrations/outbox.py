"""The outbox: events in, batched deliveries out, each retried with backoff until sent or dead.

Batching: the pending events of one kind are flushed together once no new one arrived for
INTEGRATIONS_SETTLE_S (imports have settled), or once the oldest waited INTEGRATIONS_MAX_WAIT_S
(a long playlist still reports progress). Health and daily summaries go out at the next flush.

Every write is a conditional UPDATE, so two schedule runs never batch one event twice or send
one delivery twice; a delivery left `sending` by a dead worker is retried after a lease.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from harmony_site.integrations import senders
from harmony_site.integrations.conf import knob
from harmony_site.integrations.messages import delivery_payload
from harmony_site.integrations.models import (
    MEDIA_KINDS,
    NOTIFY_KINDS,
    Delivery,
    Event,
    EventKind,
    Integration,
    Kind,
)

logger = logging.getLogger("hdm.integrations")

# Kinds that describe one moment and need no settling.
IMMEDIATE_KINDS = frozenset({EventKind.DAILY_SUMMARY, EventKind.HEALTH_BAD})
SENDING_LEASE = timedelta(minutes=10)
BACKOFF_MAX_S = 3600.0
DELIVERIES_PER_RUN = 25  # bounds one schedule run; the next run sends the rest
# Batched events live on in their deliveries' payloads; the log keeps what was sent this long.
EVENTS_KEPT = timedelta(days=1)
SENT_KEPT = timedelta(days=90)
FAILED_EVENT = {
    Kind.APPRISE: "hdm.notify.failed",
    Kind.WEBHOOK: "hdm.webhook.failed",
    Kind.LIDARR: "hdm.lidarr.failed",
}


def listens(integration: Integration, kind: str) -> bool:
    """Notifications and webhooks follow their event filter; media servers and Lidarr rescan
    after imports."""
    if integration.kind in NOTIFY_KINDS:
        return kind in (integration.events or [])
    return kind == EventKind.TRACK_IMPORTED and integration.kind in (*MEDIA_KINDS, Kind.LIDARR)


def subscribers(kind: str) -> list[Integration]:
    # In Python: the table is small and JSON containment differs between SQLite and PostgreSQL.
    return [i for i in Integration.objects.filter(enabled=True) if listens(i, kind)]


def record_event(
    kind: str, payload: dict[str, Any], *, now: datetime | None = None
) -> Event | None:
    """Keep an event for the next flush; nothing is stored when no integration listens."""
    if not subscribers(kind):
        return None
    event = Event.objects.create(kind=kind, payload=payload, created_at=now or timezone.now())
    logger.info("hdm.integrations.event", extra={"event_id": event.pk, "kind": kind})
    return event


def flush_events(*, now: datetime) -> list[int]:
    """Batch every settled kind of pending events into deliveries; returns the delivery ids."""
    by_kind: dict[str, list[Event]] = defaultdict(list)
    for event in Event.objects.filter(batched_at__isnull=True):
        by_kind[event.kind].append(event)
    created: list[int] = []
    for kind, events in by_kind.items():
        if _settled(kind, events, now):
            created += _batch(kind, events, now=now)
    return created


def _settled(kind: str, events: list[Event], now: datetime) -> bool:
    if kind in IMMEDIATE_KINDS:
        return True
    quiet = now - events[-1].created_at >= timedelta(seconds=knob("INTEGRATIONS_SETTLE_S"))
    waited = now - events[0].created_at >= timedelta(seconds=knob("INTEGRATIONS_MAX_WAIT_S"))
    return quiet or waited


class _LostRace(Exception):
    """Another flush batched some of these events first; this one rolls back."""


def _batch(kind: str, events: list[Event], *, now: datetime) -> list[int]:
    ids = [event.pk for event in events]
    try:
        with transaction.atomic():
            claimed = Event.objects.filter(pk__in=ids, batched_at__isnull=True)
            if claimed.update(batched_at=now) != len(ids):
                raise _LostRace
            payload = delivery_payload(kind, [e.payload for e in events], at=now)
            deliveries = [
                Delivery.objects.create(
                    integration=integration,
                    event_kind=kind,
                    event_count=len(events),
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
                for integration in subscribers(kind)
            ]
    except _LostRace:
        logger.info("hdm.integrations.flush_skipped", extra={"kind": kind, "events": len(ids)})
        return []
    logger.info(
        "hdm.integrations.batched",
        extra={"kind": kind, "events": len(ids), "deliveries": len(deliveries)},
    )
    return [delivery.pk for delivery in deliveries]


def due_deliveries(*, now: datetime) -> list[int]:
    """Deliveries whose (next) attempt is due, oldest first; stale `sending` ones included."""
    Delivery.objects.filter(
        state=Delivery.State.SENDING, updated_at__lt=now - SENDING_LEASE
    ).update(state=Delivery.State.RETRY, next_attempt_at=now)
    waiting = Q(state__in=(Delivery.State.PENDING, Delivery.State.RETRY))
    due = Delivery.objects.filter(waiting, next_attempt_at__lte=now).order_by("next_attempt_at")
    return list(due.values_list("pk", flat=True)[:DELIVERIES_PER_RUN])


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Send one due delivery (claimed first); returns its new state, or "skipped"."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id,
        state__in=(Delivery.State.PENDING, Delivery.State.RETRY),
        next_attempt_at__lte=now,
    ).update(state=Delivery.State.SENDING, attempts=F("attempts") + 1, updated_at=now)
    if not claimed:
        logger.info("hdm.integrations.claim_skipped", extra={"delivery_id": delivery_id})
        return "skipped"
    delivery = Delivery.objects.select_related("integration").get(pk=delivery_id)
    try:
        status = senders.send(delivery.integration, delivery.payload, delivery_id=str(delivery.pk))
    except Exception as exc:  # any failure, a bug included, is recorded and retried, never raised
        return _failed(delivery, exc, now=now)
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(
        state=Delivery.State.SENT, sent_at=timezone.now(), response_status=status, last_error=""
    )
    logger.info(
        "hdm.integrations.delivered",
        extra={"delivery_id": delivery.pk, "integration_id": delivery.integration_id,
               "kind": delivery.integration.kind, "event": delivery.event_kind},
    )  # fmt: skip
    return Delivery.State.SENT


def _failed(delivery: Delivery, exc: Exception, *, now: datetime) -> str:
    integration = delivery.integration
    final = delivery.attempts >= knob("INTEGRATIONS_MAX_ATTEMPTS")
    state = Delivery.State.DEAD if final else Delivery.State.RETRY
    detail = f"{type(exc).__name__}: {exc}"[:2000]
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(
        state=state,
        failures=F("failures") + 1,
        last_error=detail,
        response_status=getattr(exc, "status", None),
        next_attempt_at=now + timedelta(seconds=backoff_s(delivery.attempts)),
    )
    name = FAILED_EVENT.get(integration.kind, "hdm.mediaserver.failed")
    logger.warning(
        name,
        extra={"delivery_id": delivery.pk, "integration_id": integration.pk,
               "kind": integration.kind, "attempt": delivery.attempts, "final": final,
               "detail": detail},
    )  # fmt: skip
    return state


def backoff_s(attempt: int) -> float:
    """Exponential backoff with equal jitter: base, 2×base, 4×base… capped at an hour."""
    ceiling = min(BACKOFF_MAX_S, knob("INTEGRATIONS_BACKOFF_S") * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto


def retry_delivery(delivery: Delivery, *, actor: str, now: datetime | None = None) -> bool:
    """Send a dead delivery again at the next run (the delivery log's "retry")."""
    retried = Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.DEAD).update(
        state=Delivery.State.RETRY, attempts=0, next_attempt_at=now or timezone.now()
    )
    logger.info("hdm.integrations.retried", extra={"delivery_id": delivery.pk, "actor": actor})
    return bool(retried)


def purge_old(*, now: datetime) -> int:
    """Drop batched events and sent deliveries past their keeping time; failures stay."""
    events, _ = Event.objects.filter(batched_at__lt=now - EVENTS_KEPT).delete()
    sent = Delivery.objects.filter(state=Delivery.State.SENT, created_at__lt=now - SENT_KEPT)
    deliveries, _ = sent.delete()
    return events + deliveries
