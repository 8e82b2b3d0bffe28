"""What the library holds: artists, albums, tracks, the files on disk, and the audit trail.

Rows only hold state and small invariants; every write goes through `library/services.py`,
`library/scanning.py` or `library/importing.py`, and every change to the library records an
`AuditEvent` (see `library/audit.py`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from library.normalise import normalise_text


def _unique_when_set(field: str, model: str) -> models.UniqueConstraint:
    # An empty external id means "unknown", and many rows may not know it; a conditional
    # unique constraint is portable to SQLite and PostgreSQL (both support partial indexes).
    # Neither planner uses this partial index for `spotify_id = %s` (it cannot prove the
    # parameter is not ''), so the field also carries a plain index for lookups.
    return models.UniqueConstraint(
        fields=[field], condition=~Q(**{field: ""}), name=f"library_{model}_unique_{field}"
    )


class Artist(models.Model):
    name = models.CharField(max_length=512)
    sort_name = models.CharField(max_length=512, blank=True)
    name_key = models.CharField(max_length=512, db_index=True, editable=False)
    spotify_id = models.CharField(max_length=64, blank=True, db_index=True)
    musicbrainz_id = models.CharField(max_length=36, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_name", "name"]
        constraints = [_unique_when_set("spotify_id", "artist")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = normalise_text(self.name)
        super().save(*args, **kwargs)


class Album(models.Model):
    class Precision(models.TextChoices):
        UNKNOWN = "", "Unknown"
        YEAR = "year", "Year"
        MONTH = "month", "Month"
        DAY = "day", "Day"

    title = models.CharField(max_length=512)
    title_key = models.CharField(max_length=512, editable=False)
    album_artist = models.ForeignKey(
        Artist, null=True, blank=True, on_delete=models.SET_NULL, related_name="albums"
    )
    release_date = models.CharField(max_length=10, blank=True)  # "1997" | "1997-05" | "1997-05-21"
    release_date_precision = models.CharField(
        max_length=5, choices=Precision.choices, blank=True, default=Precision.UNKNOWN
    )
    spotify_id = models.CharField(max_length=64, blank=True, db_index=True)
    musicbrainz_id = models.CharField(max_length=36, blank=True)
    track_total = models.PositiveIntegerField(null=True, blank=True)
    disc_total = models.PositiveIntegerField(null=True, blank=True)
    album_type = models.CharField(max_length=32, blank=True)  # album | single | compilation
    artwork_url = models.URLField(max_length=1024, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [_unique_when_set("spotify_id", "album")]
        indexes = [models.Index(fields=["album_artist", "title_key"], name="library_album_key")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.title_key = normalise_text(self.title)
        super().save(*args, **kwargs)

    @property
    def year(self) -> str:
        return self.release_date[:4]


class Track(models.Model):
    title = models.CharField(max_length=512)
    artists = models.CharField(max_length=1024, help_text="All credited artists, '; '-joined.")
    artist = models.ForeignKey(
        Artist, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks"
    )
    album = models.ForeignKey(
        Album, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks"
    )
    track_number = models.PositiveIntegerField(null=True, blank=True)
    disc_number = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    isrc = models.CharField(max_length=12, blank=True, db_index=True)
    spotify_id = models.CharField(max_length=64, blank=True, db_index=True)
    musicbrainz_id = models.CharField(max_length=36, blank=True)
    explicit = models.BooleanField(default=False)
    genres = models.JSONField(default=list, blank=True)
    # Dedupe keys: `normalise_text` of the primary artist, the title and the album name, so
    # "owned?" is an indexed equality lookup (see library/dedupe.py).
    artist_key = models.CharField(max_length=512, editable=False)
    title_key = models.CharField(max_length=512, editable=False)
    album_key = models.CharField(max_length=512, editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["album_id", "disc_number", "track_number", "title"]
        constraints = [_unique_when_set("spotify_id", "track")]
        indexes = [
            models.Index(fields=["artist_key", "title_key"], name="library_track_key"),
        ]

    def __str__(self) -> str:
        return f"{self.artists} — {self.title}"

    def save(self, *args, **kwargs) -> None:
        # bulk_create skips save(): scanning and ingest set the keys themselves as well.
        self.artist_key = normalise_text(self.artist_list[0] if self.artist_list else "")
        self.title_key = normalise_text(self.title)
        super().save(*args, **kwargs)

    @property
    def artist_list(self) -> list[str]:
        return [name for name in self.artists.split("; ") if name]


class LibraryFile(models.Model):
    class State(models.TextChoices):
        PRESENT = "present", "Present"
        MISSING = "missing", "Missing"  # a scan did not find it any more
        RECYCLED = "recycled", "Recycled"  # replaced by a better copy, kept in RECYCLE_DIR
        QUARANTINED = "quarantined", "Quarantined"  # marked wrong, moved to .quarantine

    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="files"
    )
    path = models.CharField(max_length=4096, help_text="Relative to MUSIC_DIR, POSIX form.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PRESENT)
    # Where the file went when it left the library (recycle or quarantine), absolute.
    moved_to = models.CharField(max_length=4096, blank=True)
    format = models.CharField(max_length=8)  # flac | mp3 | m4a | ogg | opus | wav
    codec = models.CharField(max_length=16, blank=True)
    bitrate_kbps = models.PositiveIntegerField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    bit_depth = models.PositiveSmallIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    size = models.BigIntegerField()
    duration_s = models.FloatField(null=True, blank=True)
    # sha256 hex; empty for files indexed by a scan (size + mtime decide re-reads there).
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)
    mtime_ns = models.BigIntegerField(null=True, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    # The download candidate it came from: {"username", "filename", "size", "job_id"}; no FK so
    # the library never depends on the downloads app.
    source = models.JSONField(default=dict, blank=True)
    last_scan = models.ForeignKey(
        "ScanRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Verified audio (library/verification.py): the evidence of the last analysis, and whether
    # any check flagged the file. Empty / null until the file was analysed.
    analysis = models.JSONField(default=dict, blank=True)
    suspect = models.BooleanField(default=False, db_index=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    # Raw Chromaprint words (base64), compared to find copies of the same recording.
    fingerprint = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            # One row per place in MUSIC_DIR; rows of files that left the library keep their
            # old path for the record without blocking a replacement at the same name.
            models.UniqueConstraint(
                fields=["path"],
                condition=Q(state__in=["present", "missing"]),
                name="library_file_unique_live_path",
            ),
        ]
        indexes = [models.Index(fields=["state", "path"], name="library_file_state_path")]

    def __str__(self) -> str:
        return self.path


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        INGESTED = "ingested", "Ingested"
        TAGGED = "tagged", "Tagged"
        MOVED = "moved", "Moved"
        SKIPPED_DUPLICATE = "skipped_duplicate", "Skipped as duplicate"
        UPGRADED = "upgraded", "Replaced by a better copy"
        RECYCLED = "recycled", "Recycled"
        QUARANTINED = "quarantined", "Quarantined"
        DELETED = "deleted", "Deleted"
        WRONG_FILE = "wrong_file", "Marked as wrong file"
        SCANNED = "scanned", "Indexed by a scan"
        UPDATED = "updated", "Updated by a scan"
        MISSING = "missing", "Missing on disk"
        IMPORTED = "imported", "Manually imported"
        SETTINGS_CHANGED = "settings_changed", "Settings changed"
        USER_CREATED = "user_created", "User created"
        USER_ROLE_CHANGED = "user_role_changed", "User role changed"
        USER_DISABLED = "user_disabled", "User disabled"
        USER_ENABLED = "user_enabled", "User enabled again"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        API_KEY_CREATED = "api_key_created", "API key created"
        API_KEY_REVOKED = "api_key_revoked", "API key revoked"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.CharField(max_length=150)  # user:alice | apikey:name | job:42 | system
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    file = models.ForeignKey(
        LibraryFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "created_at"], name="library_audit_kind_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} by {self.actor}"


class ScanRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    path = models.CharField(max_length=4096)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    actor = models.CharField(max_length=150, default="system")
    total = models.PositiveIntegerField(null=True, blank=True)  # audio files found by the walk
    seen = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    unreadable = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    current_path = models.CharField(max_length=4096, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state"], name="library_scan_state")]

    def __str__(self) -> str:
        return f"scan {self.pk} of {self.path} ({self.state})"


class VerifyRun(models.Model):
    """A library-wide re-verify: every present file analysed again, with progress."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    actor = models.CharField(max_length=150, default="system")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    suspect = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)  # files that could not be decoded
    current_path = models.CharField(max_length=4096, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"verify run {self.pk} ({self.state})"


class UnreadableFile(models.Model):
    scan_run = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="unreadable_files")
    path = models.CharField(max_length=4096)
    reason = models.CharField(max_length=64)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
