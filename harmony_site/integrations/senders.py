"""One delivery to one integration through its provider client (providers/): a notification,
a signed webhook, a media server rescan or a Lidarr rescan. Also the "test" of each kind.

Senders raise the typed `ProviderError`s; whether to retry is decided by the caller
(integrations/outbox.py), which owns the attempts and the backoff.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from harmony_site.integrations.conf import knob
from harmony_site.integrations.models import MEDIA_KINDS, Integration, Kind
from harmony_site.secrets import decrypt_secret
from providers.errors import ProviderResponseError
from providers.lidarr import LidarrClient
from providers.mediaservers import (
    JellyfinClient,
    MediaServer,
    PlexClient,
    SubsonicClient,
    server_path,
)
from providers.notify import send_apprise
from providers.webhooks import post_webhook


def url_of(integration: Integration) -> str:
    return decrypt_secret(integration.url)


def secret_of(integration: Integration) -> str:
    return decrypt_secret(integration.secret) if integration.secret else ""


def media_client(integration: Integration) -> MediaServer:
    url, secret, timeout = (
        url_of(integration),
        secret_of(integration),
        knob("INTEGRATIONS_TIMEOUT_S"),
    )
    if integration.kind == Kind.PLEX:
        return PlexClient(url, secret, timeout=timeout)
    if integration.kind in (Kind.JELLYFIN, Kind.EMBY):
        return JellyfinClient(url, secret, emby=integration.kind == Kind.EMBY, timeout=timeout)
    return SubsonicClient(url, integration.username, secret, timeout=timeout)


def lidarr_client(integration: Integration) -> LidarrClient:
    return LidarrClient(
        url_of(integration), secret_of(integration), timeout=knob("INTEGRATIONS_TIMEOUT_S")
    )


def server_folders(integration: Integration, folders: list[str]) -> list[str]:
    """Folders relative to MUSIC_DIR as this server sees them (its own mount of the library)."""
    music = Path(settings.MUSIC_DIR)
    return [
        server_path(music / folder, music_dir=music, server_music_dir=integration.server_music_dir)
        for folder in folders
    ]


def send(integration: Integration, payload: dict[str, Any], *, delivery_id: str) -> int | None:
    """Deliver `payload` (integrations/messages.py) to `integration`; the HTTP status if known."""
    if integration.kind == Kind.APPRISE:
        send_apprise(url_of(integration), title=payload["title"], body=payload["message"])
        return None
    if integration.kind == Kind.WEBHOOK:
        return post_webhook(
            url_of(integration),
            payload,
            secret=secret_of(integration),
            event=payload["event"],
            delivery_id=delivery_id,
            timeout=knob("INTEGRATIONS_TIMEOUT_S"),
        )
    folders = server_folders(integration, payload.get("folders", []))
    if folders:
        _rescan(integration, folders)
    return None


def _rescan(integration: Integration, folders: list[str]) -> None:
    if integration.kind == Kind.LIDARR:
        lidarr = lidarr_client(integration)
        try:
            lidarr.rescan(folders)
        finally:
            lidarr.close()
        return
    if integration.kind not in MEDIA_KINDS:
        raise ProviderResponseError(f"unknown integration kind {integration.kind!r}")
    server = media_client(integration)
    try:
        server.refresh(folders)
    finally:
        server.close()


def check(integration: Integration, test_payload: dict[str, Any]) -> str:
    """The "send test" / "test connection" of one integration: a line saying what answered."""
    if integration.kind in (Kind.APPRISE, Kind.WEBHOOK):
        status = send(integration, test_payload, delivery_id="test")
        return "Test message sent." + (f" The receiver answered {status}." if status else "")
    if integration.kind == Kind.LIDARR:
        client = lidarr_client(integration)
        try:
            return f"Connected: {client.version()}."
        finally:
            client.close()
    media = media_client(integration)
    try:
        info = media.check()
    finally:
        media.close()
    return f"Connected: {info.name} {info.version}".rstrip() + "."
