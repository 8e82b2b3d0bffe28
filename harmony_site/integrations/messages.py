"""What a batch of events says: one title, one body and one JSON payload per delivery (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from harmony_site.integrations.models import EventKind
from harmony_site.version import __version__

MAX_LINES = 20  # lines listed in a message body; the rest are counted
MAX_ITEMS = 100  # event payloads kept in a delivery's JSON


def title_for(kind: str, payloads: Sequence[dict[str, Any]]) -> str:
    n = len(payloads)
    if kind == EventKind.TRACK_IMPORTED:
        return f"Harmony: {_count(n, 'track')} imported"
    if kind == EventKind.ALBUM_COMPLETE:
        first = payloads[0].get("label", "") if n == 1 else ""
        return f"Harmony: album complete: {first}" if first else f"Harmony: {n} albums complete"
    if kind == EventKind.WATCHLIST_NEW:
        found = sum(int(p.get("enqueued", 0)) for p in payloads)
        return f"Harmony: watchlists found {_count(found, 'new track')}"
    if kind == EventKind.JOB_FAILED:
        return f"Harmony: {_count(n, 'download')} failed"
    if kind == EventKind.DAILY_SUMMARY:
        return "Harmony: daily summary"
    if kind == EventKind.HEALTH_BAD:
        return "Harmony: health turned bad"
    return "Harmony: test message"


def body_for(payloads: Sequence[dict[str, Any]]) -> str:
    lines = [str(p.get("line", "")) for p in payloads if p.get("line")]
    shown = lines[:MAX_LINES]
    if len(lines) > MAX_LINES:
        shown.append(f"… and {len(lines) - MAX_LINES} more")
    return "\n".join(shown) or "(no details)"


def delivery_payload(kind: str, payloads: Sequence[dict[str, Any]], *, at: datetime) -> dict:
    """The delivery's JSON: the webhook body, and the source of the notification's text.

    `folders` (changed album folders, relative to MUSIC_DIR) is what media servers rescan.
    """
    folders = sorted({str(p["folder"]) for p in payloads if p.get("folder")})
    return {
        "event": str(kind),
        "count": len(payloads),
        "title": title_for(kind, payloads),
        "message": body_for(payloads),
        "items": [dict(p) for p in payloads[:MAX_ITEMS]],
        "folders": folders,
        "at": at.isoformat(),
        "harmony_version": __version__,
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
