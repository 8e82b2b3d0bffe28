"""Input and output serializers of the downloads API (jobs, DLQ, watchlists), kept apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from downloads.actions import PURGE_LIMIT, REQUEUE_LIMIT
from downloads.models import (
    Candidate,
    DeadReason,
    Job,
    JobEvent,
    JobKind,
    JobState,
    Watchlist,
    WatchlistSync,
)
from harmony_site.api.serializers import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    FastReadMixin,
    bounded_list,
    id_field,
)

PRIORITY_RANGE = 1_000_000
RELEASE_TYPES = ("album", "single", "compilation", "appears_on")
SUBMIT_STATUSES = ("enqueued", "already_enqueued", "owned")

# --- Output ------------------------------------------------------------------------------------


class JobEventOut(serializers.ModelSerializer):
    class Meta:
        model = JobEvent
        fields = ["id", "at", "from_state", "to_state", "reason", "details"]


class CandidateOut(serializers.ModelSerializer):
    class Meta:
        model = Candidate
        fields = [
            "id",
            "rank",
            "state",
            "username",
            "filename",
            "size",
            "attributes",
            "score",
            "rejection",
            "failure_reason",
            "failure_detail",
        ]


class JobOut(FastReadMixin, serializers.ModelSerializer):
    """A job in a list: no timeline, no candidates (constant queries per page)."""

    progress = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "scope",
            "state",
            "priority",
            "label",
            "wanted_key",
            "source_ref",
            "parent_id",
            "attempts",
            "dead_reason",
            "last_error_code",
            "next_attempt_at",
            "created_at",
            "updated_at",
            "finished_at",
            "library_file_id",
            "progress",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "bytes": {"type": "integer"},
                "total": {"type": "integer"},
                "percent": {"type": "number"},
            },
        }
    )
    def get_progress(self, job: Job) -> dict[str, Any] | None:
        if not job.bytes_total:
            return None
        return {
            "bytes": job.bytes_transferred,
            "total": job.bytes_total,
            "percent": round(100 * job.bytes_transferred / job.bytes_total, 1),
        }


class JobDetailOut(JobOut):
    """One job with its timeline, candidates (scores, rejections) and the live transfer."""

    timeline = JobEventOut(source="events", many=True, read_only=True)
    candidates = CandidateOut(many=True, read_only=True)
    transfer = serializers.SerializerMethodField()
    library_path = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    class Meta(JobOut.Meta):
        fields = [
            *JobOut.Meta.fields,
            "wanted",
            "force",
            "actor",
            "queries",
            "search_rounds",
            "last_error_detail",
            "current_candidate_id",
            "transfer",
            "library_path",
            "children",
            "timeline",
            "candidates",
        ]

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_transfer(self, job: Job) -> dict[str, Any] | None:
        if not job.transfer_id:
            return None
        return {
            "id": job.transfer_id,
            "peer": job.transfer_username,
            "state": job.transfer_state,
            "bytes": job.bytes_transferred,
            "total": job.bytes_total,
            "average_speed_bps": _average_speed(job),
            "enqueued_at": job.transfer_enqueued_at,
            "last_progress_at": job.transfer_progress_at,
        }

    @extend_schema_field({"type": "string", "nullable": True})
    def get_library_path(self, job: Job) -> str | None:
        return job.library_file.path if job.library_file_id else None

    @extend_schema_field(
        {"type": "object", "nullable": True, "additionalProperties": {"type": "integer"}}
    )
    def get_children(self, job: Job) -> dict[str, int] | None:
        return self.context.get("children")


def _average_speed(job: Job) -> float | None:
    """Bytes per second since the transfer was enqueued (slskd's own speed is per poll)."""
    if not (job.transfer_enqueued_at and job.transfer_progress_at and job.bytes_transferred):
        return None
    seconds = (job.transfer_progress_at - job.transfer_enqueued_at).total_seconds()
    return round(job.bytes_transferred / seconds, 1) if seconds > 0 else None


class WatchlistSyncOut(serializers.ModelSerializer):
    class Meta:
        model = WatchlistSync
        fields = [
            "id",
            "started_at",
            "finished_at",
            "status",
            "trigger",
            "actor",
            "found",
            "new",
            "enqueued",
            "already_enqueued",
            "owned",
            "error",
            "details",
        ]


class WatchlistOut(serializers.ModelSerializer):
    class Meta:
        model = Watchlist
        fields = [
            "id",
            "kind",
            "spotify_id",
            "name",
            "enabled",
            "release_types",
            "since",
            "write_m3u8",
            "sync_minutes",
            "last_synced_at",
            "next_sync_at",
            "consecutive_failures",
            "last_error",
            "created_at",
        ]


class SubmissionItemOut(serializers.Serializer):
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=SUBMIT_STATUSES)
    job_id = serializers.IntegerField(allow_null=True)
    library_file_id = serializers.IntegerField(allow_null=True)


class SubmissionCountsOut(serializers.Serializer):
    enqueued = serializers.IntegerField()
    already_enqueued = serializers.IntegerField()
    owned = serializers.IntegerField()


class SubmissionOut(serializers.Serializer):
    """One request's answer: its job (a track's own, or a release's parent) and, for a
    release/playlist/artist, every track's status."""

    status = serializers.ChoiceField(choices=SUBMIT_STATUSES)
    job = JobOut(allow_null=True)
    library_file_id = serializers.IntegerField(
        allow_null=True, required=False, help_text="The owned copy (status `owned`)."
    )
    counts = SubmissionCountsOut(required=False)
    items = SubmissionItemOut(many=True, required=False)


class ListSubmissionOut(serializers.Serializer):
    counts = SubmissionCountsOut()
    items = SubmissionItemOut(many=True)


class JobActionOut(serializers.Serializer):
    changed = serializers.BooleanField(help_text="False when the job was already that way.")
    job = JobOut()


class DlqResultOut(serializers.Serializer):
    action = serializers.ChoiceField(choices=["requeue", "purge"])
    matched = serializers.IntegerField(help_text="Dead jobs acted on (at most the limit).")
    requeued = serializers.IntegerField(required=False)
    skipped = serializers.IntegerField(required=False, help_text="No longer dead.")
    conflicts = serializers.IntegerField(
        required=False, help_text="Another live job wants the same item."
    )
    purged = serializers.IntegerField(required=False)
    remaining = serializers.IntegerField(help_text="Matches left over by the limit.")
    job_ids = serializers.ListField(child=serializers.IntegerField())


class DlqStatsOut(serializers.Serializer):
    total = serializers.IntegerField()
    by_reason = serializers.DictField(child=serializers.IntegerField())
    oldest_dead_at = serializers.DateTimeField(allow_null=True)


class WatchlistDetailOut(WatchlistOut):
    syncs = serializers.SerializerMethodField(help_text="The last 20 syncs, newest first.")

    class Meta(WatchlistOut.Meta):
        fields = [*WatchlistOut.Meta.fields, "syncs"]

    @extend_schema_field(WatchlistSyncOut(many=True))
    def get_syncs(self, watchlist: Watchlist) -> list[dict[str, Any]]:
        return WatchlistSyncOut(watchlist.syncs.all()[:20], many=True).data


class SyncRequestedOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=["sync_requested"])
    watchlist = WatchlistOut()


# --- Input -------------------------------------------------------------------------------------


class SubmitIn(serializers.Serializer):
    """A Spotify link/URI/id, or artist + title (+ album, duration, ISRC, year, track number).

    Unknown fields are a 400 naming them: a misspelt or unsupported field must not silently
    drop what it meant (a job without its duration runs with no length check).
    """

    link = serializers.CharField(required=False, max_length=2000, allow_blank=False)
    type = serializers.ChoiceField(
        choices=["track", "album", "playlist", "artist"],
        required=False,
        help_text="What a bare 22-character Spotify id stands for.",
    )
    artist = serializers.CharField(required=False, max_length=MAX_NAME_LENGTH)
    title = serializers.CharField(required=False, max_length=MAX_NAME_LENGTH)
    album = serializers.CharField(required=False, max_length=MAX_NAME_LENGTH, default="")
    duration_s = serializers.FloatField(required=False, min_value=1, max_value=24 * 3600)
    duration_ms = serializers.IntegerField(
        required=False, min_value=1000, max_value=24 * 3600 * 1000
    )
    isrc = serializers.RegexField(
        r"^[A-Za-z]{2}[A-Za-z0-9]{3}[0-9]{7}$", required=False, help_text="12 characters."
    )
    year = serializers.IntegerField(required=False, min_value=1000, max_value=9999)
    track_number = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    force = serializers.BooleanField(default=False)
    kind = serializers.ChoiceField(choices=JobKind.choices, default=JobKind.MANUAL)
    priority = serializers.IntegerField(
        required=False, min_value=-PRIORITY_RANGE, max_value=PRIORITY_RANGE
    )

    _TRACK_ONLY = ("duration_s", "duration_ms", "isrc", "year", "track_number")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(getattr(self, "initial_data", {})) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        has_link = bool(data.get("link"))
        has_text = bool(data.get("artist") or data.get("title"))
        if has_link == has_text:
            raise serializers.ValidationError(
                {"link": ["Give either a Spotify link or an artist and a title."]}
            )
        if has_link:
            given = {f: ["Only with a typed-in track."] for f in self._TRACK_ONLY if f in data}
            if given:
                raise serializers.ValidationError(given)
        if has_text:
            missing = {f: ["Required with a typed-in track."] for f in ("artist", "title")}
            missing = {f: msg for f, msg in missing.items() if not data.get(f)}
            if missing:
                raise serializers.ValidationError(missing)
        if "duration_s" in data and "duration_ms" in data:
            raise serializers.ValidationError(
                {"duration_ms": ["Give duration_s or duration_ms, not both."]}
            )
        return data


class ListSubmitIn(serializers.Serializer):
    """A pasted "Artist - Title" text list, or an uploaded Exportify CSV (`file`)."""

    text = serializers.CharField(required=False, max_length=5 * 1024 * 1024, trim_whitespace=False)
    file = serializers.FileField(required=False)
    force = serializers.BooleanField(default=False)
    kind = serializers.ChoiceField(choices=JobKind.choices, default=JobKind.MANUAL)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if bool(data.get("text", "").strip()) == bool(data.get("file")):
            raise serializers.ValidationError({"text": ["Give either a text list or a CSV file."]})
        return data


class PriorityIn(serializers.Serializer):
    priority = serializers.IntegerField(min_value=-PRIORITY_RANGE, max_value=PRIORITY_RANGE)


class JobListQuery(serializers.Serializer):
    state = serializers.MultipleChoiceField(choices=JobState.choices, required=False)
    kind = serializers.MultipleChoiceField(choices=JobKind.choices, required=False)
    scope = serializers.CharField(required=False, max_length=20)
    parent = id_field(required=False)
    q = serializers.CharField(required=False, max_length=MAX_TEXT_LENGTH)
    ordering = serializers.ChoiceField(
        choices=[
            f"{sign}{name}"
            for name in ("priority", "created_at", "updated_at", "finished_at", "id")
            for sign in ("", "-")
        ],
        required=False,
    )


class DeadFilterIn(serializers.Serializer):
    """The filter part shared by the DLQ list, requeue and purge."""

    reason = serializers.MultipleChoiceField(choices=DeadReason.choices, required=False)
    kind = serializers.MultipleChoiceField(choices=JobKind.choices, required=False)
    dead_after = serializers.DateTimeField(required=False)
    dead_before = serializers.DateTimeField(required=False)
    q = serializers.CharField(required=False, max_length=MAX_TEXT_LENGTH)


class RequeueIn(DeadFilterIn):
    ids = bounded_list(id_field(), max_length=REQUEUE_LIMIT, required=False)


class SafeDurationField(serializers.DurationField):
    """A duration whose absurd values are a 400, not an overflow deep in the datetime code."""

    def to_internal_value(self, value: Any) -> timedelta:
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("max_value", max_value=self.max_value)


class PurgeIn(DeadFilterIn):
    ids = bounded_list(id_field(), max_length=PURGE_LIMIT, required=False)
    older_than = SafeDurationField(
        required=False,
        min_value=timedelta(0),
        max_value=timedelta(days=36500),
        help_text="Dead for longer than this, e.g. P30D (ISO 8601) or '30 00:00:00'.",
    )


def _release_types() -> serializers.ListField:
    return bounded_list(
        serializers.ChoiceField(choices=RELEASE_TYPES), max_length=4, min_length=1, required=False
    )


def _sync_minutes() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=5,
        max_value=7 * 24 * 60,
        help_text="Minutes between syncs; null: WATCHLIST_SYNC_MINUTES.",
    )


class WatchlistIn(serializers.Serializer):
    link = serializers.CharField(max_length=2000, help_text="Spotify artist or playlist link.")
    release_types = _release_types()
    since = serializers.DateField(required=False, allow_null=True)
    enabled = serializers.BooleanField(default=True)
    write_m3u8 = serializers.BooleanField(default=True)
    sync_minutes = _sync_minutes()


class WatchlistUpdateIn(serializers.Serializer):
    release_types = _release_types()
    since = serializers.DateField(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False)
    write_m3u8 = serializers.BooleanField(required=False)
    sync_minutes = _sync_minutes()
