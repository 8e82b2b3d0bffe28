"""Admin views of the library. The audit trail and scan history are read-only: they are records."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from library.models import (
    Album,
    Artist,
    AuditEvent,
    LibraryFile,
    ScanRun,
    Track,
    UnreadableFile,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "sort_name", "spotify_id", "musicbrainz_id"]
    search_fields = ["name", "name_key", "spotify_id", "musicbrainz_id"]


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ["title", "album_artist", "release_date", "album_type", "spotify_id"]
    list_filter = ["album_type"]
    search_fields = ["title", "title_key", "spotify_id", "musicbrainz_id"]
    raw_id_fields = ["album_artist"]
    list_select_related = ["album_artist"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["title", "artists", "album", "disc_number", "track_number", "isrc"]
    search_fields = ["title", "artists", "isrc", "spotify_id", "musicbrainz_id"]
    raw_id_fields = ["artist", "album"]
    list_select_related = ["album"]


@admin.register(LibraryFile)
class LibraryFileAdmin(ReadOnlyAdmin):
    # Files change only through services (ingest, scan, recycle, wrong file) so every change
    # has its audit event; the admin shows them.
    list_display = ["path", "state", "format", "bitrate_kbps", "sample_rate", "size", "updated_at"]
    list_filter = ["state", "format"]
    search_fields = ["path", "content_hash"]
    list_select_related = ["track"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "actor", "track", "file"]
    list_filter = ["kind"]
    search_fields = ["actor", "file__path", "track__title"]
    date_hierarchy = "created_at"
    list_select_related = ["track", "file"]


class UnreadableInline(admin.TabularInline):
    model = UnreadableFile
    extra = 0
    can_delete = False
    readonly_fields = ["path", "reason", "detail", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "path", "state", "seen", "added", "updated", "skipped"]
    list_filter = ["state"]
    inlines = [UnreadableInline]
