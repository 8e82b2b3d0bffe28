"""The download manager's state: jobs, their timeline, candidates, peers and shared budgets.

Every write to a `Job`'s state goes through `downloads/jobs/state.py` as a conditional UPDATE
(`filter(pk=…, state=expected).update(…)`), so two workers never both advance one job.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models import Q


class JobKind(models.TextChoices):
    MANUAL = "manual", "Manual"
    WATCHLIST = "watchlist", "Watchlist"
    BACKFILL = "backfill", "Backfill"


class JobScope(models.TextChoices):
    TRACK = "track", "Track"
    ALBUM = "album", "Album"
    PLAYLIST = "playlist", "Playlist"
    ARTIST = "artist", "Artist"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    MATCHING = "matching", "Matching"
    SEARCHING = "searching", "Searching"
    DOWNLOADING = "downloading", "Downloading"
    VERIFYING = "verifying", "Verifying"
    TAGGING = "tagging", "Tagging"
    MOVING = "moving", "Moving"
    DONE = "done", "Done"
    FAILED = "failed", "Failed (retry scheduled)"
    CANCELLED = "cancelled", "Cancelled"
    DEAD = "dead", "Dead (dead-letter queue)"


# States a worker advances; `failed` waits for its retry time, the rest are final.
WORKING_STATES = (
    JobState.QUEUED,
    JobState.MATCHING,
    JobState.SEARCHING,
    JobState.DOWNLOADING,
    JobState.VERIFYING,
    JobState.TAGGING,
    JobState.MOVING,
)
LIVE_STATES = (*WORKING_STATES, JobState.FAILED)
TERMINAL_STATES = (JobState.DONE, JobState.CANCELLED, JobState.DEAD)


def runnable_jobs() -> Q:
    """Jobs a worker runs stages for: tracks, and album parents while they search for a folder
    (downloads/stages/album.py); other parents only wait for their children."""
    album_phase = (JobState.QUEUED, JobState.SEARCHING)
    return Q(scope=JobScope.TRACK) | Q(scope=JobScope.ALBUM, state__in=album_phase)


class DeadReason(models.TextChoices):
    NO_CANDIDATES = "no_candidates", "No candidate passed the filters"
    ALL_CANDIDATES_FAILED = "all_candidates_failed", "Every candidate failed"
    VERIFICATION_FAILED = "verification_failed", "Delivered files failed verification"
    PROVIDER_UNAVAILABLE = "provider_unavailable", "slskd or Spotify stayed unavailable"
    DISK_ERROR = "disk_error", "Disk error while handling the file"
    CANCELLED_BY_PEER = "cancelled_by_peer", "The peer cancelled or rejected the transfer"
    WORKER_LOST = "worker_lost", "The worker died repeatedly while running this job"
    INVALID_REQUEST = "invalid_request", "The wanted item cannot be resolved"
    INTERNAL_ERROR = "internal_error", "Unexpected error (see last error)"


class Job(models.Model):
    """One wanted track (scope=track), or the parent of an album/playlist/artist request."""

    kind = models.CharField(max_length=12, choices=JobKind.choices, default=JobKind.MANUAL)
    scope = models.CharField(max_length=10, choices=JobScope.choices, default=JobScope.TRACK)
    priority = models.IntegerField(default=0, db_index=True, help_text="Higher runs first.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    state = models.CharField(
        max_length=12, choices=JobState.choices, default=JobState.QUEUED, db_index=True
    )
    # Where a job in `failed` resumes when its retry is due.
    retry_state = models.CharField(max_length=12, choices=JobState.choices, blank=True)

    wanted = models.JSONField(default=dict, help_text="Serialised TrackMeta.")
    wanted_key = models.CharField(max_length=600, db_index=True)
    # Equals wanted_key while the job is live, NULL once final: the partial unique constraint
    # on it is the reservation that makes a duplicate submission find the live job.
    live_key = models.CharField(max_length=600, null=True, blank=True)
    label = models.CharField(max_length=600, blank=True, help_text="'Artist — Title' for lists.")
    source_ref = models.CharField(max_length=300, blank=True)
    force = models.BooleanField(default=False)
    actor = models.CharField(max_length=150, default="system")

    queries = models.JSONField(default=list, blank=True)
    query_index = models.PositiveIntegerField(default=0)
    search_rounds = models.PositiveIntegerField(default=0)
    current_search = models.ForeignKey(
        "SlskdSearch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    attempts = models.PositiveIntegerField(default=0, help_text="Retries after failures.")
    lost_runs = models.PositiveIntegerField(
        default=0, help_text="Runs started (counted at claim) that never finished."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error_detail = models.TextField(blank=True)
    dead_reason = models.CharField(max_length=32, choices=DeadReason.choices, blank=True)

    current_candidate = models.ForeignKey(
        "Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transfer_id = models.CharField(max_length=64, blank=True)
    transfer_username = models.CharField(max_length=255, blank=True)
    transfer_state = models.CharField(max_length=40, blank=True)
    transfer_enqueued_at = models.DateTimeField(null=True, blank=True)
    transfer_progress_at = models.DateTimeField(null=True, blank=True)
    transfer_terminal_since = models.DateTimeField(null=True, blank=True)
    bytes_transferred = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    download_path = models.CharField(max_length=4096, blank=True)

    track = models.ForeignKey(
        "library.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    library_file = models.ForeignKey(
        "library.LibraryFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-priority", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["live_key"],
                condition=Q(live_key__isnull=False),
                name="downloads_job_one_live_per_wanted",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="downloads_job_due"),
            # The default order of job lists (API, UI): the queue, highest priority first.
            models.Index(
                fields=["-priority", "created_at", "id"], name="downloads_job_queue_order"
            ),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} {self.label or self.wanted_key} [{self.state}]"


class JobEvent(models.Model):
    """One step of a job's timeline: a transition (from → to) or a notable event in a state."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    reason = models.CharField(max_length=64)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["job_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.from_state}→{self.to_state} {self.reason}"


class SlskdSearch(models.Model):
    """A search created in slskd under an id Harmony chose, so harvest + delete is idempotent."""

    class State(models.TextChoices):
        CREATED = "created", "Created"
        HARVESTED = "harvested", "Responses stored"
        DELETED = "deleted", "Deleted in slskd"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="searches")
    query = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CREATED)
    response_count = models.PositiveIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    harvested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"search {self.id} {self.query!r} [{self.state}]"


def file_key(username: str, filename: str, size: int) -> str:
    """A fixed-length key for (user, remote path, size): paths are too long to index directly."""
    raw = f"{username}\0{filename}\0{size}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()


class Candidate(models.Model):
    """One file considered for a job, with the matcher's score breakdown or rejection reason."""

    class State(models.TextChoices):
        PENDING = "pending", "Ranked, not tried"
        REJECTED = "rejected", "Rejected by a filter"
        TRYING = "trying", "Being downloaded"
        FAILED = "failed", "Tried and failed"
        CHOSEN = "chosen", "Delivered and imported"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="candidates")
    search = models.ForeignKey(SlskdSearch, null=True, blank=True, on_delete=models.SET_NULL)
    key = models.CharField(max_length=64)
    username = models.CharField(max_length=255)
    filename = models.TextField()
    size = models.BigIntegerField()
    attributes = models.JSONField(default=dict, blank=True)
    score = models.JSONField(default=dict, blank=True)
    rejection = models.CharField(max_length=64, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    failure_reason = models.CharField(max_length=64, blank=True)
    failure_detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "key"], name="downloads_candidate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.username}:{self.filename} ({self.state})"


class PeerStat(models.Model):
    """Harmony's own record of a peer's transfers: downrank after one failure, exclude after two."""

    username = models.CharField(max_length=255, unique=True)
    successes = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    window_failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_reason = models.CharField(max_length=64, blank=True)
    excluded_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.username} +{self.successes}/-{self.failures}"


class CandidateBlock(models.Model):
    """A (user, path, size) that delivered a bad file: never downloaded again by any job."""

    key = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=255)
    filename = models.TextField()
    size = models.BigIntegerField()
    reason = models.CharField(max_length=64)
    detail = models.TextField(blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"blocked {self.username}:{self.filename} ({self.reason})"


class SearchBudget(models.Model):
    """The one search budget every process shares (a single row, pk=1, locked per grant)."""

    recent = models.JSONField(default=list, help_text="ISO times of searches in the window.")
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    ban_factor = models.FloatField(
        default=1.0, help_text="Share of the budget left by the last ban, when its pause ended."
    )
    searches_total = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"search budget ({len(self.recent)} in window)"


class StageGate(models.Model):
    """A row per limited stage, locked while a worker counts that stage's live claims."""

    stage = models.CharField(max_length=12, primary_key=True)

    def __str__(self) -> str:
        return self.stage


class Heartbeat(models.Model):
    """Written by a periodic task: an old beat means the task cluster has stalled."""

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class TransferCleanup(models.Model):
    """A transfer Harmony cancelled that slskd had not finished yet: the sweeper removes its
    record (`remove=true`) once slskd reports it `Completed`, so slskd's list stays clean."""

    username = models.CharField(max_length=255)
    transfer_id = models.CharField(max_length=64)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=64, blank=True)
    checks = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["username", "transfer_id"], name="downloads_transfer_cleanup_once"
            ),
        ]

    def __str__(self) -> str:
        return f"remove {self.username}/{self.transfer_id} once finished"


# --- DLQ console, watchlists (HDM-ops; docs/operations/runbooks/hdm.md) ---------------------


class DeadLetterManager(models.Manager["DeadLetter"]):
    def get_queryset(self) -> models.QuerySet[DeadLetter]:
        return super().get_queryset().filter(state=JobState.DEAD)


class DeadLetter(Job):
    """The dead-letter queue as its own admin page: dead jobs only (a proxy, no table)."""

    objects = DeadLetterManager()

    class Meta:
        proxy = True
        verbose_name = "dead letter"
        verbose_name_plural = "dead-letter queue"


class DeadLetterAction(models.Model):
    """Who requeued or purged which dead jobs, from where: the DLQ's audit trail.

    Kept apart from the jobs because a purge deletes the jobs (and their timelines).
    """

    class Action(models.TextChoices):
        REQUEUE = "requeue", "Requeue"
        PURGE = "purge", "Purge"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.CharField(max_length=150)
    via = models.CharField(max_length=10, help_text="api | admin | cli | ui")
    criteria = models.JSONField(default=dict, blank=True, help_text="Ids or the filter used.")
    job_ids = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor} ({self.via})"


class Watchlist(models.Model):
    """A Spotify artist (new releases) or playlist (new items) Harmony keeps downloading."""

    class Kind(models.TextChoices):
        ARTIST = "artist", "Artist"
        PLAYLIST = "playlist", "Playlist"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    spotify_id = models.CharField(max_length=64)
    name = models.CharField(max_length=300, blank=True)
    enabled = models.BooleanField(default=True)
    release_types = models.JSONField(
        default=list, blank=True, help_text="Artist: album, single, compilation, appears_on."
    )
    since = models.DateField(
        null=True, blank=True, help_text="Artist: releases before this date are ignored."
    )
    write_m3u8 = models.BooleanField(default=True, help_text="Playlist: keep an M3U8 file.")
    sync_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minutes between syncs; empty: WATCHLIST_SYNC_MINUTES."
    )
    snapshot_id = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150, default="system")

    last_synced_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "spotify_id"], name="downloads_watch_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name or self.spotify_id}"


class WatchlistItem(models.Model):
    """Something a watchlist has seen: a release (artist) or a track (playlist, with position).

    Seen items are never enqueued twice; a playlist's positions give the M3U8 its order.
    """

    watchlist = models.ForeignKey(Watchlist, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=600)
    label = models.CharField(max_length=600, blank=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    wanted = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    library_file = models.ForeignKey(
        "library.LibraryFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    sync = models.ForeignKey(
        "WatchlistSync",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        help_text="The sync that first saw it (its new/owned/queued/failed counts).",
    )

    class Meta:
        ordering = ["watchlist_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["watchlist", "key"], name="downloads_watch_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.watchlist_id}: {self.label or self.key}"


class WatchlistSync(models.Model):
    """One sync of one watchlist: what it found and what it enqueued (or why it failed)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"

    watchlist = models.ForeignKey(Watchlist, on_delete=models.CASCADE, related_name="syncs")
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=20, default="schedule", help_text="schedule | manual")
    actor = models.CharField(max_length=150, default="system")
    found = models.PositiveIntegerField(default=0, help_text="Releases or tracks seen in total.")
    new = models.PositiveIntegerField(default=0, help_text="Not seen by an earlier sync.")
    enqueued = models.PositiveIntegerField(default=0)
    already_enqueued = models.PositiveIntegerField(default=0)
    owned = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"sync {self.pk} of {self.watchlist_id} [{self.status}]"
