"""OpenAPI generation (drf-spectacular): the error responses, the idempotency header, and the
plain Django endpoints (health) that spectacular cannot see.

`HarmonyAutoSchema` (settings `DEFAULT_SCHEMA_CLASS`) adds to every operation the error
statuses it can answer, all with the `Error` component, so schemathesis holds each endpoint to
them. A view whose method is decorated with `@idempotent` gets the `Idempotency-Key` header; a
view class with `provider_errors = True` (it calls slskd or Spotify) also documents 409 (not
configured), 502 and 503. A plain APIView answering a list is documented as one page of
`HarmonyPagination` unless it sets `pagination_class = None`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from harmony_site.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from harmony_site.api.pagination import HarmonyPagination
from harmony_site.api.serializers import ErrorSerializer

ALWAYS = {
    400: "Malformed request (bad JSON, invalid UTF-8) or invalid input; `details` holds the "
    "field errors.",
    401: "No valid credentials (API key, bearer token or session).",
    403: "The caller's role does not allow this.",
    404: "No such object (or page).",
    429: "Too many requests; see `Retry-After`.",
    500: "Unexpected server error (details are in the server log).",
}
WRITES = {
    409: "Conflict with the current state, or an `Idempotency-Key` reused with another body.",
    413: "Request body larger than `API_MAX_BODY_BYTES`.",
    415: "Request body is not `application/json`.",
}
PROVIDERS = {
    409: "The provider is not configured (e.g. SPOTIFY_CLIENT_ID is empty).",
    502: "The provider (slskd or Spotify) refused or answered nonsense.",
    503: "The provider is unreachable or rate-limited; retry later.",
}

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional key (1-255 printable ASCII characters) making a retry of this request safe: "
        "the same key and body replay the first response, another body gets 409."
    ),
    pattern=r"^[!-~]([ -~]*[!-~])?$",
)


class HarmonyAutoSchema(AutoSchema):
    """AutoSchema with Harmony's error responses and idempotency header on every operation."""

    def _get_paginator(self) -> Any:
        # Every list answer is paged: a plain APIView that returns `many=True` data pages it
        # with HarmonyPagination (see `paginate`) unless it says `pagination_class = None`.
        pagination_class = getattr(self.view, "pagination_class", HarmonyPagination)
        return pagination_class() if pagination_class else None

    def _handler(self) -> Any:
        return getattr(self.view, self.method.lower(), None)

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if getattr(self._handler(), "harmony_idempotent", False):
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters

    def _error_statuses(self) -> dict[int, str]:
        statuses = dict(ALWAYS)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses.update(WRITES)
        if getattr(self.view, "provider_errors", False):
            statuses.update(PROVIDERS)
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for status, description in self._error_statuses().items():
            responses.setdefault(
                str(status),
                {"description": description, "content": {"application/json": {"schema": error}}},
            )
        return responses


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_LIVE = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok"]}, "version": {"type": "string"}},
    "required": ["status", "version"],
}
_READY = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "fail"]},
        "version": {"type": "string"},
        "failing": {"type": "array", "items": {"type": "string"}},
        "detail": {"type": "object", "additionalProperties": {"type": "string"}},
        "probes": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["status", "version", "failing"],
}


def _plain_operation(operation_id: str, summary: str, responses: dict[str, Any]) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["health"],
            "security": [{}],
            "responses": responses,
        }
    }


def add_plain_endpoints(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: describe the health endpoints (plain Django views, no auth)."""
    live = {"200": _json(_LIVE, "The process answers.")}
    ready = {
        "200": _json(_READY, "Every probe passes (or is disabled)."),
        "503": _json(_READY, "At least one probe fails; `failing` names them."),
    }
    verbose = {
        "name": "verbose",
        "in": "query",
        "required": False,
        "description": "`1`, `true` or `yes` lists every probe with its latency.",
        "schema": {"type": "string"},
    }
    paths = result.setdefault("paths", {})
    paths["/api/health/live"] = _plain_operation("health_live", "Liveness", live)
    paths["/api/v1/health"] = _plain_operation("health_retrieve", "Liveness (API alias)", live)
    paths["/api/health/ready"] = _plain_operation("health_ready", "Readiness", ready)
    paths["/api/health/ready"]["get"]["parameters"] = [verbose]
    return result
