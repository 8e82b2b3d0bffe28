"""django-q2 entry points of the integrations. Thin: call a service, return a summary.

`integrations.tasks.tick` is the `hdm-integrations` schedule (every minute).
"""

from __future__ import annotations

from harmony_site.integrations import services


def tick() -> dict[str, int]:
    """Periodic: health and daily summary events, Lidarr syncs, batching, due deliveries."""
    return services.run_tick()
