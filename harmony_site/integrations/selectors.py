"""Reads of the integrations for the UI, the API, the System panel and the metrics."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from harmony_site.integrations.models import Delivery, Integration


def integrations() -> QuerySet[Integration]:
    return Integration.objects.order_by("kind", "name")


def deliveries(*, integration_id: int | None = None, state: str = "") -> QuerySet[Delivery]:
    """The delivery log, newest first."""
    rows = Delivery.objects.select_related("integration").order_by("-created_at", "-id")
    if integration_id is not None:
        rows = rows.filter(integration_id=integration_id)
    if state:
        rows = rows.filter(state=state)
    return rows


def delivery_counts() -> list[dict[str, Any]]:
    """Deliveries per integration kind and state (metrics, status)."""
    rows = Delivery.objects.values("integration__kind", "state").annotate(n=Count("id"))
    return [{"kind": r["integration__kind"], "state": r["state"], "count": r["n"]} for r in rows]


def problems(*, limit: int = 20) -> list[dict[str, Any]]:
    """What a person should look at: deliveries given up or being retried, failed Lidarr syncs."""
    found: list[dict[str, Any]] = []
    failing = deliveries().filter(state__in=(Delivery.State.DEAD, Delivery.State.RETRY))
    for row in failing[:limit]:
        found.append({"integration": row.integration.name, "kind": row.integration.kind,
                      "state": row.state, "what": row.get_event_kind_display(),
                      "attempts": row.attempts, "error": row.last_error,
                      "at": row.updated_at, "delivery_id": row.pk})  # fmt: skip
    for integration in Integration.objects.exclude(sync_error=""):
        found.append({"integration": integration.name, "kind": integration.kind,
                      "state": "sync failed", "what": "Lidarr wanted list", "attempts": None,
                      "error": integration.sync_error, "at": integration.synced_at,
                      "delivery_id": None})  # fmt: skip
    return found
