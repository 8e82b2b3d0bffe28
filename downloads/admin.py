"""The Django admin as the HDM's console: the dead-letter queue first, then jobs and watchlists.

Everything is read-only: jobs change only through `downloads/jobs/state.py`, so every change has
its timeline event. The DLQ's actions call the same services as the API and the CLI
(`downloads/actions.py`), record a `DeadLetterAction` with the acting user, and check the role
again (operator to requeue, admin to purge) even though the admin site is the admin's.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.auth import actor_for
from accounts.roles import has_role
from downloads import actions
from downloads.models import (
    Candidate,
    DeadLetter,
    DeadLetterAction,
    Job,
    JobEvent,
    Watchlist,
    WatchlistSync,
)


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JobEventInline(ReadOnlyInline):
    model = JobEvent
    verbose_name_plural = "timeline"
    fields = ("at", "from_state", "to_state", "reason", "details_pretty")
    readonly_fields = fields
    ordering = ("at", "id")

    @admin.display(description="details")
    def details_pretty(self, event: JobEvent) -> str:
        return _pretty(event.details) if event.details else "—"


class CandidateInline(ReadOnlyInline):
    model = Candidate
    verbose_name_plural = "candidates (score breakdown or rejection reason)"
    fields = (
        "rank",
        "state",
        "username",
        "filename",
        "size",
        "rejection",
        "failure_reason",
        "failure_detail",
        "score_pretty",
    )
    readonly_fields = fields

    @admin.display(description="score")
    def score_pretty(self, candidate: Candidate) -> str:
        return _pretty(candidate.score) if candidate.score else "—"


class ReadOnlyJobAdmin(admin.ModelAdmin):
    """Shared by the DLQ and the job list: read-only, timeline and candidates inline."""

    inlines = (JobEventInline, CandidateInline)
    search_fields = ("label", "wanted_key", "source_ref", "last_error_detail")
    date_hierarchy = "created_at"
    readonly_fields = ("wanted_pretty",)
    exclude = ("wanted",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # purging is an audited action, never the admin's plain delete

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, "viewer")

    @admin.display(description="wanted")
    def wanted_pretty(self, job: Job) -> str:
        return _pretty(job.wanted)


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyJobAdmin):
    """The DLQ console: dead jobs with their reason, filters, and requeue/purge actions."""

    list_display = (
        "id",
        "label",
        "kind",
        "dead_reason",
        "last_error_code",
        "attempts",
        "finished_at",
    )
    list_filter = ("dead_reason", "kind", "scope", "finished_at")
    date_hierarchy = "finished_at"
    ordering = ("-finished_at", "-id")
    actions = ("requeue_selected", "purge_selected")

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, "operator")

    def has_purge_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, "admin")

    @admin.action(description="Requeue selected dead jobs", permissions=["requeue"])
    def requeue_selected(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._run(request, queryset, actions.requeue_dead, actions.REQUEUE_LIMIT)

    @admin.action(description="Purge selected dead jobs (deletes them)", permissions=["purge"])
    def purge_selected(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._run(request, queryset, actions.purge_dead, actions.PURGE_LIMIT)

    def _run(self, request: HttpRequest, queryset: QuerySet[Job], action: Any, limit: int) -> None:
        ids = list(queryset.values_list("pk", flat=True)[: limit + 1])
        if len(ids) > limit:
            self.message_user(
                request, f"Select at most {limit} jobs at once.", level=messages.ERROR
            )
            return
        result = action(actions.ids_filter(ids), actor=actor_for(request.user), via="admin")
        counts = ", ".join(f"{name}: {n}" for name, n in result.counts.items())
        self.message_user(request, f"{result.action}: {counts}", level=messages.SUCCESS)


@admin.register(Job)
class JobAdmin(ReadOnlyJobAdmin):
    list_display = ("id", "label", "kind", "scope", "state", "priority", "attempts", "updated_at")
    list_filter = ("state", "kind", "scope", "dead_reason")
    ordering = ("-created_at", "-id")
    raw_id_fields = ("parent",)


@admin.register(DeadLetterAction)
class DeadLetterActionAdmin(admin.ModelAdmin):
    """The DLQ's audit trail: who requeued or purged what, from where."""

    list_display = ("at", "action", "actor", "via", "counts")
    list_filter = ("action", "via")
    search_fields = ("actor",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WatchlistSyncInline(ReadOnlyInline):
    model = WatchlistSync
    fields = ("started_at", "status", "trigger", "found", "new", "enqueued", "owned", "error")
    readonly_fields = fields
    max_num = 20


@admin.register(Watchlist)
class WatchlistAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "enabled",
        "since",
        "last_synced_at",
        "next_sync_at",
        "consecutive_failures",
    )
    list_filter = ("kind", "enabled")
    search_fields = ("name", "spotify_id")
    fields = ("kind", "spotify_id", "name", "enabled", "release_types", "since", "write_m3u8")
    readonly_fields = ("kind", "spotify_id")
    inlines = (WatchlistSyncInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created from a link through the API/UI, which reads its name
