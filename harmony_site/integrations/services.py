"""Writes of the integrations: configure targets (secrets encrypted at rest), test them, and
the schedule's run. The UI, the API and the tasks all call these.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from harmony_site.integrations import lidarr_sync, outbox, senders, watch
from harmony_site.integrations.messages import delivery_payload
from harmony_site.integrations.models import NOTIFY_KINDS, Delivery, EventKind, Integration, Kind
from harmony_site.secrets import encrypt_secret
from providers.errors import ProviderError
from providers.notify import apprise_hint

logger = logging.getLogger("hdm.integrations")

# Event kinds a target may subscribe to (the test message is always allowed).
SUBSCRIBABLE = tuple(kind for kind in EventKind.values if kind != EventKind.TEST)
MIN_WEBHOOK_SECRET = 16


class IntegrationError(ValueError):
    """A value that cannot be saved; `field` names the input it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def create_integration(
    *,
    kind: str,
    name: str,
    url: str,
    secret: str = "",
    username: str = "",
    server_music_dir: str = "",
    events: Iterable[str] = (),
    enabled: bool = True,
    actor: str,
) -> Integration:
    """Validate and store a new integration; URL and secret are encrypted before saving."""
    integration = Integration(kind=kind, enabled=enabled)
    _apply(
        integration,
        name=name,
        url=url,
        secret=secret,
        username=username,
        server_music_dir=server_music_dir,
        events=events,
    )
    _save(integration)
    logger.info(
        "hdm.integrations.created",
        extra={"integration_id": integration.pk, "kind": kind, "actor": actor},
    )
    return integration


def update_integration(integration: Integration, *, actor: str, **changes: Any) -> Integration:
    """Change some fields; an empty `url` or `secret` keeps the stored one (it is never shown)."""
    enabled = changes.pop("enabled", None)
    if enabled is not None:
        integration.enabled = bool(enabled)
    if changes:
        _apply(integration, partial=True, **changes)
    _save(integration)
    logger.info(
        "hdm.integrations.updated",
        extra={"integration_id": integration.pk, "fields": sorted(changes), "actor": actor},
    )
    return integration


def delete_integration(integration: Integration, *, actor: str) -> None:
    logger.info(
        "hdm.integrations.deleted",
        extra={"integration_id": integration.pk, "kind": integration.kind, "actor": actor},
    )
    integration.delete()


def _apply(integration: Integration, *, partial: bool = False, **values: Any) -> None:
    kind = integration.kind
    if kind not in Kind.values:
        raise IntegrationError("kind", f"Unknown kind {kind!r}.")
    if "name" in values or not partial:
        name = str(values.get("name", "")).strip()
        if not name:
            raise IntegrationError("name", "Give the integration a name.")
        integration.name = name[:100]
    url = str(values.get("url") or "").strip()
    if url or not partial:
        integration.url_hint = _check_url(kind, url)
        integration.url = encrypt_secret(url)
    secret = str(values.get("secret") or "")
    if secret or not partial:
        _check_secret(kind, secret, values.get("username", integration.username))
        integration.secret = encrypt_secret(secret) if secret else ""
    for field in ("username", "server_music_dir"):
        if field in values:
            setattr(integration, field, str(values[field] or "").strip())
    if "events" in values or not partial:
        integration.events = _check_events(kind, values.get("events") or ())


def _check_url(kind: str, url: str) -> str:
    """The URL's display form, or IntegrationError."""
    if kind == Kind.APPRISE:
        hint = apprise_hint(url) if url else ""
        if not hint:
            raise IntegrationError("url", "Apprise does not understand this URL (see its wiki).")
        return hint[:500]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IntegrationError("url", "Enter an http:// or https:// URL.")
    if kind == Kind.WEBHOOK:
        # The path of a webhook URL is often its credential (Discord, Slack): show the host.
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…"
    return url.rstrip("/")[:500]


def _check_secret(kind: str, secret: str, username: str) -> None:
    if kind == Kind.WEBHOOK and len(secret) < MIN_WEBHOOK_SECRET:
        raise IntegrationError(
            "secret", f"A signing secret of at least {MIN_WEBHOOK_SECRET} characters is needed."
        )
    if kind in (Kind.PLEX, Kind.JELLYFIN, Kind.EMBY, Kind.LIDARR) and not secret:
        raise IntegrationError("secret", "Enter the server's token or API key.")
    if kind == Kind.NAVIDROME and not (secret and username):
        raise IntegrationError("secret", "Enter the Subsonic user name and password.")


def _check_events(kind: str, events: Iterable[str]) -> list[str]:
    wanted = set(events)
    unknown = sorted(wanted - set(SUBSCRIBABLE))
    if unknown:
        raise IntegrationError("events", f"Unknown event(s): {', '.join(unknown)}.")
    if kind in NOTIFY_KINDS and not wanted:
        raise IntegrationError("events", "Pick at least one event.")
    return [event for event in SUBSCRIBABLE if event in wanted] if kind in NOTIFY_KINDS else []


def _save(integration: Integration) -> None:
    try:
        with transaction.atomic():
            integration.save()
    except IntegrityError:
        raise IntegrationError("name", "Another integration has this name.") from None


def test_integration(integration: Integration) -> tuple[bool, str]:
    """Send a test message or test the connection now; (ok, what happened) for the person."""
    now = timezone.now()
    line = "If you read this, Harmony can reach you."
    payload = delivery_payload(EventKind.TEST, [{"line": line}], at=now)
    try:
        detail = senders.check(integration, payload)
    except ProviderError as exc:
        logger.warning(
            "hdm.integrations.test_failed",
            extra={"integration_id": integration.pk, "kind": integration.kind, "detail": str(exc)},
        )
        return False, str(exc)
    except Exception as exc:  # shown to the person rather than a 500 page
        logger.exception("hdm.integrations.test_failed", extra={"integration_id": integration.pk})
        return False, f"{type(exc).__name__}: {exc}"
    logger.info("hdm.integrations.tested", extra={"integration_id": integration.pk})
    return True, detail


def run_tick(*, now: datetime | None = None) -> dict[str, int]:
    """The `hdm-integrations` schedule: new health/summary events, Lidarr syncs, batching,
    then every due delivery. Each part is guarded so one failing never stops the others."""
    now = now or timezone.now()
    report = {"health": 0, "summary": 0, "lidarr": 0, "batched": 0, "purged": 0}
    steps = (
        ("health", lambda: int(watch.check_health(now=now))),
        ("summary", lambda: int(watch.daily_summary(now=now))),
        ("lidarr", lambda: lidarr_sync.sync_due(now=now)),
        ("batched", lambda: len(outbox.flush_events(now=now))),
        ("purged", lambda: outbox.purge_old(now=now)),
    )
    for name, step in steps:
        try:
            report[name] = step()
        except Exception:
            logger.exception("hdm.integrations.tick_failed", extra={"step": name})
    states = [outbox.deliver(pk, now=now) for pk in outbox.due_deliveries(now=now)]
    report["sent"] = states.count(Delivery.State.SENT)
    report["failed"] = len(states) - report["sent"] - states.count("skipped")
    return report
