"""Library API serializers: output (read) and input (write) kept apart."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from harmony_site.api.serializers import MAX_TEXT_LENGTH, FastReadMixin
from library.models import Album, Artist, AuditEvent, LibraryFile, ScanRun, Track, VerifyRun
from library.quality import QualityProfile, meets_profile, quality_class
from library.verification import describe

# --- small references to related rows ------------------------------------------------------


class ArtistRefSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = Artist
        fields = ["id", "name"]


class AlbumRefSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = Album
        fields = ["id", "title"]


# --- output -------------------------------------------------------------------------------


class ArtistSerializer(serializers.ModelSerializer):
    album_count = serializers.IntegerField(read_only=True)
    track_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Artist
        fields = [
            "id",
            "name",
            "sort_name",
            "spotify_id",
            "musicbrainz_id",
            "album_count",
            "track_count",
            "created_at",
            "updated_at",
        ]


class AlbumSerializer(serializers.ModelSerializer):
    album_artist = ArtistRefSerializer(read_only=True, allow_null=True)
    year = serializers.CharField(read_only=True)
    track_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Album
        fields = [
            "id",
            "title",
            "album_artist",
            "release_date",
            "release_date_precision",
            "year",
            "album_type",
            "track_total",
            "disc_total",
            "spotify_id",
            "musicbrainz_id",
            "artwork_url",
            "track_count",
            "created_at",
            "updated_at",
        ]


class QualityMixin(serializers.Serializer):
    """The file's quality class and whether the configured profile accepts it."""

    quality = serializers.CharField(read_only=True, help_text="Quality class, e.g. mp3-320.")
    meets_profile = serializers.BooleanField(read_only=True)
    quality_problem = serializers.CharField(
        read_only=True, help_text="Why the profile refuses it; empty when it meets it."
    )

    def _profile(self) -> QualityProfile:
        # One profile per response, not per row (nested serializers share the root's context).
        context = self.root.context if self.root is not None else self.context
        if "profile" not in context:
            context["profile"] = QualityProfile.from_config()
        return context["profile"]

    def to_representation(self, row: LibraryFile) -> dict:
        data = super().to_representation(row)
        check = meets_profile(row, profile=self._profile())
        data["quality"] = quality_class(
            row.codec or row.format, row.bitrate_kbps, row.sample_rate, row.bit_depth, None
        )
        data["meets_profile"], data["quality_problem"] = check.ok, check.reason
        return data


class FileBriefSerializer(QualityMixin, FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = LibraryFile
        fields = [
            "id",
            "path",
            "state",
            "format",
            "codec",
            "bitrate_kbps",
            "sample_rate",
            "bit_depth",
            "size",
            "duration_s",
            "quality",
            "meets_profile",
            "quality_problem",
            "suspect",
        ]


class FileSerializer(QualityMixin, serializers.ModelSerializer):
    class Meta:
        model = LibraryFile
        fields = [
            "id",
            "track",
            "path",
            "state",
            "moved_to",
            "format",
            "codec",
            "bitrate_kbps",
            "sample_rate",
            "bit_depth",
            "channels",
            "size",
            "duration_s",
            "content_hash",
            "source",
            "quality",
            "meets_profile",
            "quality_problem",
            "suspect",
            "flags",
            "analysed_at",
            "created_at",
            "updated_at",
        ]

    flags = serializers.SerializerMethodField(
        help_text="Why the file is suspect: lossy_cutoff, upsampled, silence, clipping, or the "
        "code of a failed re-verify; empty when it is not."
    )

    def get_flags(self, row: LibraryFile) -> list[str]:
        return list(row.analysis.get("flags", []))


class EvidenceSerializer(serializers.Serializer):
    check = serializers.CharField()
    finding = serializers.CharField()


class FileDetailSerializer(FileSerializer):
    evidence = serializers.SerializerMethodField(
        help_text="Each check's finding in words (spectrum, silence, clipping, loudness)."
    )

    class Meta(FileSerializer.Meta):
        fields = [*FileSerializer.Meta.fields, "evidence", "analysis", "tags"]

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, row: LibraryFile) -> list[dict[str, str]]:
        return [{"check": c, "finding": f} for c, f in describe(row.analysis)]


class TrackSerializer(FastReadMixin, serializers.ModelSerializer):
    artists = serializers.SerializerMethodField()
    artist = ArtistRefSerializer(read_only=True, allow_null=True)
    album = AlbumRefSerializer(read_only=True, allow_null=True)
    files = FileBriefSerializer(source="present_files", many=True, read_only=True)
    missing = serializers.SerializerMethodField()

    class Meta:
        model = Track
        fields = [
            "id",
            "title",
            "artists",
            "artist",
            "album",
            "track_number",
            "disc_number",
            "duration_ms",
            "isrc",
            "spotify_id",
            "musicbrainz_id",
            "explicit",
            "genres",
            "missing",
            "files",
            "created_at",
            "updated_at",
        ]

    def get_artists(self, track: Track) -> list[str]:
        return track.artist_list

    def get_missing(self, track: Track) -> bool:
        return not track.present_files


class VerifyRunSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(
        help_text="Share of the library's files analysed so far (0..1)."
    )

    class Meta:
        model = VerifyRun
        fields = [
            "id",
            "state",
            "actor",
            "total",
            "done",
            "suspect",
            "failed",
            "progress",
            "current_path",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]

    @extend_schema_field(serializers.FloatField())
    def get_progress(self, run: VerifyRun) -> float:
        if run.state == VerifyRun.State.FINISHED or not run.total:
            return 1.0 if run.state == VerifyRun.State.FINISHED else 0.0
        return min(1.0, run.done / run.total)


class ScanSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(
        help_text="Share of the files found by the walk handled so far (0..1), null until known."
    )

    class Meta:
        model = ScanRun
        fields = [
            "id",
            "path",
            "state",
            "actor",
            "total",
            "seen",
            "added",
            "updated",
            "skipped",
            "unreadable",
            "missing",
            "progress",
            "current_path",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_progress(self, run: ScanRun) -> float | None:
        if run.state == ScanRun.State.FINISHED:
            return 1.0
        if not run.total:
            return None
        return round(min(run.seen / run.total, 1.0), 4)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "kind", "actor", "track", "file", "details"]


# --- input --------------------------------------------------------------------------------


class ScanStartSerializer(serializers.Serializer):
    path = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT_LENGTH,
        help_text="Folder to scan, absolute or relative to MUSIC_DIR (default: all of it).",
    )
