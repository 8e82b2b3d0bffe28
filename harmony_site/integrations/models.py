"""Integrations: where Harmony tells the rest of a music stack what happened.

An `Integration` is one configured target (an Apprise notification URL, a webhook, a media
server or Lidarr). Things that happen become `Event` rows (the outbox); a flush turns the
pending events of one kind into one `Delivery` per subscribed target — so a 500-track playlist
sends one summary — and each delivery is sent, retried with backoff and finally kept as `sent`
or `dead`: the delivery log the UI and the System panel show. An integration never fails an
import: events are written after the import committed, and delivering them is separate work.
"""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    APPRISE = "apprise", "Notification (Apprise)"
    WEBHOOK = "webhook", "Webhook"
    PLEX = "plex", "Plex"
    JELLYFIN = "jellyfin", "Jellyfin"
    EMBY = "emby", "Emby"
    NAVIDROME = "navidrome", "Navidrome / Subsonic"
    LIDARR = "lidarr", "Lidarr"


NOTIFY_KINDS = (Kind.APPRISE, Kind.WEBHOOK)
MEDIA_KINDS = (Kind.PLEX, Kind.JELLYFIN, Kind.EMBY, Kind.NAVIDROME)


class EventKind(models.TextChoices):
    TRACK_IMPORTED = "track_imported", "Track imported"
    ALBUM_COMPLETE = "album_complete", "Album complete"
    WATCHLIST_NEW = "watchlist_new", "Watchlist found new tracks"
    JOB_FAILED = "job_failed", "Job failed (dead-letter queue)"
    DAILY_SUMMARY = "daily_summary", "Daily summary"
    HEALTH_BAD = "health_bad", "Health turned bad"
    TEST = "test", "Test message"


class Integration(models.Model):
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)
    # Encrypted (harmony_site.secrets): Apprise URLs and webhook URLs carry credentials.
    url = models.TextField()
    url_hint = models.CharField(max_length=500, blank=True, help_text="The URL, secrets masked.")
    # Encrypted: Plex token, Jellyfin/Emby/Lidarr API key, Subsonic password, webhook secret.
    secret = models.TextField(blank=True)
    username = models.CharField(max_length=150, blank=True, help_text="Subsonic user.")
    server_music_dir = models.CharField(
        max_length=1000, blank=True, help_text="MUSIC_DIR as the server sees it; empty: same."
    )
    events = models.JSONField(default=list, blank=True, help_text="Event kinds it receives.")
    # Lidarr only: when its wanted list was last read (the schedule reads it when due).
    synced_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(blank=True, help_text="Why the last Lidarr sync failed.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    def event_labels(self) -> list[str]:
        return [EventKind(kind).label for kind in self.events if kind in EventKind.values]


class Event(models.Model):
    """Something worth telling: pending until a flush has batched it into deliveries."""

    kind = models.CharField(max_length=20, choices=EventKind.choices, db_index=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    batched_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class Delivery(models.Model):
    """One message (or one rescan request) to one integration, with its attempts."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRY = "retry", "Retry scheduled"
        SENT = "sent", "Sent"
        DEAD = "dead", "Given up"

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_kind = models.CharField(max_length=20, choices=EventKind.choices)
    event_count = models.PositiveIntegerField(default=1)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0, help_text="Failed attempts, ever.")
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="integ_delivery_due")]

    def __str__(self) -> str:
        return f"delivery {self.pk} {self.event_kind} → {self.integration_id} [{self.state}]"


class Marker(models.Model):
    """A remembered value between schedule runs: last health state, last daily summary."""

    name = models.CharField(max_length=50, unique=True)
    value = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
