"""Health, status, metrics and environment endpoints (docs/health.md).

Liveness and readiness are plain Django views open to anyone (container and orchestrator
probes carry no credentials); liveness touches neither the database nor a provider. Status,
metrics and /env are DRF views under the API's access rules (viewer role once keys exist).
"""

from __future__ import annotations

import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

import django
import prometheus_client
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from harmony_site import probes
from harmony_site.scrape import metrics_registry
from harmony_site.version import __version__

# harmony_serve hands its start time to its children so uptime is Harmony's, not a worker's.
STARTED_AT_ENV = "HARMONY_STARTED_AT"
_PROCESS_STARTED_AT = time.time()


def started_at() -> float:
    try:
        return float(os.environ[STARTED_AT_ENV])
    except (KeyError, ValueError):
        return _PROCESS_STARTED_AT


def liveness_payload() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """`GET /api/health/live`, `/live` and `/api/v1/health`: the process answers."""
    return JsonResponse(liveness_payload())


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """`GET /api/health/ready`: 200 when no probe fails, else 503 naming the failing probes."""
    reports = probes.run_probes()
    failed = probes.failing(reports)
    payload: dict[str, Any] = {
        "status": "fail" if failed else "ok",
        "version": __version__,
        "failing": [report.name for report in failed],
    }
    if request.GET.get("verbose") in ("1", "true", "yes"):
        payload["probes"] = [report.as_dict() for report in reports]
    else:
        payload["detail"] = {report.name: report.detail for report in failed}
    return JsonResponse(payload, status=503 if failed else 200)


def cluster_state() -> dict[str, Any]:
    """django-q2's own view of its clusters (heartbeats it saves every few seconds)."""
    from django_q.status import Stat

    clusters = [
        {
            "id": str(stat.cluster_id),
            "host": stat.host,
            "pid": stat.pid,
            "status": stat.status,
            "workers": len(stat.workers),
            "reincarnations": stat.reincarnations,
            "uptime_s": round(stat.uptime(), 1) if stat.tob else None,
        }
        for stat in Stat.get_all()
    ]
    return {"state": clusters[0]["status"] if clusters else "Stopped", "clusters": clusters}


def queue_sizes() -> dict[str, int]:
    from django_q.brokers import get_broker

    broker = get_broker()
    return {"queued": broker.queue_size(), "in_progress": broker.lock_size()}


def _guarded(fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:  # the status page must show a broken part, not fail itself
        return {"error": f"{type(exc).__name__}: {exc}"}


def status_payload() -> dict[str, Any]:
    begun = started_at()
    return {
        "version": __version__,
        "started_at": datetime.fromtimestamp(begun, UTC).isoformat(),
        "uptime_s": round(time.time() - begun, 1),
        "cluster": _guarded(cluster_state),
        "queues": _guarded(queue_sizes),
        "sections": probes.collect_status(),
    }


class StatusView(APIView):
    """`GET /api/v1/status`: version, uptime, task cluster, queue sizes, registered sections."""

    def get(self, request: Request) -> Response:
        return Response(status_payload())


def env_payload() -> dict[str, Any]:
    connection = connections[DEFAULT_DB_ALIAS]
    database: dict[str, Any] = {"vendor": connection.vendor}
    if connection.vendor == "sqlite":
        database["path"] = str(connection.settings_dict["NAME"])
    config = settings.HARMONY
    return {
        "version": __version__,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        "paths": {
            "CONFIG_DIR": str(config.config_dir),
            "config_file": str(config.yml_path),
            "DOWNLOADS_DIR": str(settings.DOWNLOADS_DIR),
            "MUSIC_DIR": str(settings.MUSIC_DIR),
        },
        "time_zone": settings.TIME_ZONE,
        "log_level": config["LOG_LEVEL"],
    }


class EnvView(APIView):
    """`GET /env`: versions, database vendor and configured paths; never a secret."""

    def get(self, request: Request) -> Response:
        return Response(env_payload())


class _PrometheusRenderer(BaseRenderer):
    media_type = prometheus_client.CONTENT_TYPE_LATEST
    format = "prometheus"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        return data


class _FixedNegotiation(BaseContentNegotiation):
    # Scrapers send assorted Accept headers; the exposition format is the only answer.
    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class MetricsView(APIView):
    """`GET /api/v1/metrics`: Prometheus text exposition (django-prometheus and Harmony's own)."""

    renderer_classes = [_PrometheusRenderer]
    content_negotiation_class = _FixedNegotiation

    def get(self, request: Request) -> HttpResponse:
        body = prometheus_client.generate_latest(metrics_registry())
        return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
