"""Library REST API: browse and search, scans, and the audit trail (docs/api.md).

Thin views: querysets are built once here with their joins (`select_related`/`prefetch_related`
so a page costs the same number of queries whatever its size), writes go through
`library.scanning`, and filters live in `library/api/filters.py`.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django_q.tasks import async_task
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.auth import IsOperator, IsViewer, actor_for
from harmony_site.api.idempotency import idempotent
from library import reverify
from library.api import filters
from library.api.serializers import (
    AlbumSerializer,
    ArtistSerializer,
    AuditEventSerializer,
    FileBriefSerializer,
    FileDetailSerializer,
    FileSerializer,
    ScanSerializer,
    ScanStartSerializer,
    TrackSerializer,
    VerifyRunSerializer,
)
from library.models import Album, Artist, AuditEvent, LibraryFile, ScanRun, Track, VerifyRun
from library.scanning import ScanError, start_scan
from library.selectors import present_files_prefetch

_FILE_MODEL_FIELDS = {field.attname for field in LibraryFile._meta.concrete_fields} | {
    field.name for field in LibraryFile._meta.concrete_fields
}


def artists() -> QuerySet[Artist]:
    return Artist.objects.annotate(
        album_count=Count("albums", distinct=True), track_count=Count("tracks", distinct=True)
    ).order_by(*Artist._meta.ordering, "id")  # GROUP BY queries drop Meta.ordering


def albums() -> QuerySet[Album]:
    return (
        Album.objects.select_related("album_artist")
        .annotate(track_count=Count("tracks"))
        .order_by(*Album._meta.ordering, "id")
    )


# Only the columns the track serializers show: building fewer fields per row is most of what
# a page of tracks costs.
_TRACK_COLUMNS = [
    *(name for name in TrackSerializer.Meta.fields if name not in ("missing", "files")),
    "artist__name",
    "album__title",
]
_BRIEF_FILE_COLUMNS = [*FileBriefSerializer.Meta.fields, "track_id"]


def tracks() -> QuerySet[Track]:
    columns = [name for name in _BRIEF_FILE_COLUMNS if name in _FILE_MODEL_FIELDS]
    return (
        Track.objects.select_related("artist", "album")
        .only(*_TRACK_COLUMNS)
        .prefetch_related(present_files_prefetch(only=columns))
    )


class ArtistList(generics.ListAPIView):
    """Artists in the library, with album and track counts."""

    permission_classes = [IsViewer]
    serializer_class = ArtistSerializer
    filterset_class = filters.ArtistFilter
    ordering_fields = ["name", "sort_name", "created_at", "track_count", "id"]

    def get_queryset(self) -> QuerySet[Artist]:
        return artists()


class ArtistDetail(generics.RetrieveAPIView):
    permission_classes = [IsViewer]
    serializer_class = ArtistSerializer

    def get_queryset(self) -> QuerySet[Artist]:
        return artists()


class AlbumList(generics.ListAPIView):
    """Albums, filterable by artist, type and text."""

    permission_classes = [IsViewer]
    serializer_class = AlbumSerializer
    filterset_class = filters.AlbumFilter
    ordering_fields = ["title", "release_date", "created_at", "id"]

    def get_queryset(self) -> QuerySet[Album]:
        return albums()


class AlbumDetail(generics.RetrieveAPIView):
    permission_classes = [IsViewer]
    serializer_class = AlbumSerializer

    def get_queryset(self) -> QuerySet[Album]:
        return albums()


class TrackList(generics.ListAPIView):
    """Tracks with their present files; `missing`, `format` and `below_profile` filters."""

    permission_classes = [IsViewer]
    serializer_class = TrackSerializer
    filterset_class = filters.TrackFilter
    ordering_fields = ["title", "artists", "duration_ms", "created_at", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[Track]:
        return tracks()


class TrackDetail(generics.RetrieveAPIView):
    permission_classes = [IsViewer]
    serializer_class = TrackSerializer

    def get_queryset(self) -> QuerySet[Track]:
        return tracks()


class FileList(generics.ListAPIView):
    """Files Harmony knows (present, missing, recycled, quarantined) with their quality."""

    permission_classes = [IsViewer]
    serializer_class = FileSerializer
    filterset_class = filters.FileFilter
    ordering_fields = ["path", "size", "bitrate_kbps", "created_at", "updated_at", "id"]
    queryset = LibraryFile.objects.all()


class FileDetail(generics.RetrieveAPIView):
    permission_classes = [IsViewer]
    serializer_class = FileDetailSerializer
    queryset = LibraryFile.objects.all()


class ActivityList(generics.ListAPIView):
    """The audit trail, newest first: what changed in the library and settings, and who did it."""

    permission_classes = [IsViewer]
    serializer_class = AuditEventSerializer
    filterset_class = filters.ActivityFilter
    ordering_fields = ["created_at", "id"]
    queryset = AuditEvent.objects.all()


def _scan_root(raw: str) -> Path | None:
    if not raw.strip():
        return None
    path = Path(raw.strip())
    return path if path.is_absolute() else Path(settings.MUSIC_DIR) / path


class ScanList(generics.ListCreateAPIView):
    """Library scans, newest first; POST starts one in the task cluster (operator)."""

    permission_classes = [IsOperator]
    serializer_class = ScanSerializer
    filterset_class = filters.ScanFilter
    ordering_fields = ["created_at", "id"]
    queryset = ScanRun.objects.all()

    @extend_schema(request=ScanStartSerializer, responses={201: ScanSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        data = ScanStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            run = start_scan(
                _scan_root(data.validated_data.get("path", "")), actor=actor_for(request.user)
            )
        except ScanError as exc:
            raise ValidationError({"path": [str(exc)]}) from exc
        # Enqueue after commit so the worker finds the row (scan_library claims it first).
        transaction.on_commit(lambda: async_task("library.tasks.run_scan", run.pk, group="scan"))
        return Response(ScanSerializer(run).data, status=201)


class VerifyRunList(generics.ListCreateAPIView):
    """Library re-verifies, newest first; POST starts one in the task cluster (operator)."""

    permission_classes = [IsOperator]
    serializer_class = VerifyRunSerializer
    ordering_fields = ["created_at", "id"]
    queryset = VerifyRun.objects.all()

    @extend_schema(request=None, responses={201: VerifyRunSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        run = reverify.start_reverify(actor=actor_for(request.user))
        transaction.on_commit(
            lambda: async_task("library.tasks.run_reverify", run.pk, group="verify")
        )
        return Response(VerifyRunSerializer(run).data, status=201)


class VerifyRunDetail(generics.RetrieveAPIView):
    """One re-verify with its progress (`done` of `total`, `suspect`, `failed`)."""

    permission_classes = [IsViewer]
    serializer_class = VerifyRunSerializer
    queryset = VerifyRun.objects.all()


class ScanDetail(generics.RetrieveAPIView):
    """One scan with its progress (`seen` of `total`, `progress` 0..1, `current_path`)."""

    permission_classes = [IsViewer]
    serializer_class = ScanSerializer
    queryset = ScanRun.objects.all()
