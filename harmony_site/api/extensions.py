"""OpenAPI descriptions of views the API package does not own (health, status, metrics).

Imported by the URL map (`harmony_site/urls.py`), which serves the schema, so a process that
never builds it (a management command, the task cluster) does not load drf-spectacular. Each
extension re-declares a view's responses for the schema only — the views are unchanged.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

StatusSchema = inline_serializer(
    "Status",
    {
        "version": serializers.CharField(),
        "started_at": serializers.DateTimeField(),
        "uptime_s": serializers.FloatField(),
        "cluster": serializers.DictField(help_text="django-q2 cluster state."),
        "queues": serializers.DictField(help_text="Queued and in-progress task counts."),
        "sections": serializers.DictField(
            help_text="One object per registered section (auth, slskd, spotify, ...)."
        ),
    },
)

EnvSchema = inline_serializer(
    "Environment",
    {
        "version": serializers.CharField(),
        "python": serializers.CharField(),
        "django": serializers.CharField(),
        "database": serializers.DictField(),
        "paths": serializers.DictField(child=serializers.CharField()),
        "time_zone": serializers.CharField(),
        "log_level": serializers.CharField(),
    },
)


class StatusViewSchema(OpenApiViewExtension):
    target_class = "harmony_site.health.StatusView"

    def view_replacement(self) -> Any:
        @extend_schema(tags=["health"], summary="Version, uptime, cluster and provider status")
        class Fixed(self.target_class):  # type: ignore[name-defined]
            @extend_schema(responses=StatusSchema)
            def get(self, request: Any) -> Any:
                return super().get(request)

        return Fixed


class EnvViewSchema(OpenApiViewExtension):
    target_class = "harmony_site.health.EnvView"

    def view_replacement(self) -> Any:
        class Fixed(self.target_class):  # type: ignore[name-defined]
            @extend_schema(tags=["health"], summary="Versions and paths", responses=EnvSchema)
            def get(self, request: Any) -> Any:
                return super().get(request)

        return Fixed


class MetricsViewSchema(OpenApiViewExtension):
    target_class = "harmony_site.health.MetricsView"

    def view_replacement(self) -> Any:
        class Fixed(self.target_class):  # type: ignore[name-defined]
            @extend_schema(
                tags=["health"],
                summary="Prometheus metrics (text exposition format)",
                responses={(200, "text/plain"): OpenApiTypes.STR},
            )
            def get(self, request: Any) -> Any:
                return super().get(request)

        return Fixed
