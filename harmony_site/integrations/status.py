"""The `integrations` section of `GET /api/v1/status`: configured targets and failures."""

from __future__ import annotations

from typing import Any

from harmony_site.integrations import selectors
from harmony_site.probes import register_status


@register_status("integrations")
def status_integrations() -> dict[str, Any]:
    problems = selectors.problems()
    return {
        "configured": selectors.integrations().filter(enabled=True).count(),
        "deliveries": selectors.delivery_counts(),
        "problems": [{**p, "at": p["at"].isoformat() if p["at"] else None} for p in problems],
    }
