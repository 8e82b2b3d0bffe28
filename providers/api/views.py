"""Thin DRF views over the Spotify OAuth service functions (`providers.spotify.oauth`).

Connecting or disconnecting the Spotify account is an admin's decision (it is the instance's
provider credential); every role may read the status.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import IsAdmin, IsOperator, IsViewer
from harmony_site import probes
from harmony_site.api.exceptions import ApiError
from providers.api.serializers import (
    LIBRARY_KINDS,
    PROVIDERS,
    OAuthStatusSerializer,
    OAuthUrlSerializer,
    ProviderStateSerializer,
    ProviderTestSerializer,
    SpotifyLibraryPageSerializer,
    SpotifyLibraryQuerySerializer,
    SpotifySearchQuerySerializer,
    SpotifyTrackSerializer,
)
from providers.spotify.browse import library_page
from providers.spotify.client import SpotifyClient
from providers.spotify.oauth import (
    OAuthError,
    oauth_authorize_url,
    oauth_complete,
    oauth_disconnect,
    oauth_status,
)


class ManualCompletionInput(serializers.Serializer):
    redirect_url = serializers.CharField(max_length=4000, trim_whitespace=True)


class OAuthAuthorizeView(APIView):
    """GET or POST → `{"url": …}`: open it in a browser to log in to Spotify (PRO mode)."""

    permission_classes = [IsAdmin]
    provider_errors = True  # 409 while Spotify is not configured

    @extend_schema(request=None, responses=OAuthUrlSerializer, tags=["oauth"])
    def get(self, request: Request) -> Response:
        return self.post(request)

    @extend_schema(request=None, responses=OAuthUrlSerializer, tags=["oauth"])
    def post(self, request: Request) -> Response:
        try:
            return Response({"url": oauth_authorize_url()})
        except OAuthError as exc:
            raise ApiError(str(exc), code="oauth_error", status=409) from exc


class OAuthManualView(APIView):
    """POST `{"redirect_url": …}`: finish a login by pasting the URL the browser ended on."""

    permission_classes = [IsAdmin]

    @extend_schema(request=ManualCompletionInput, responses=OAuthStatusSerializer, tags=["oauth"])
    def post(self, request: Request) -> Response:
        data = ManualCompletionInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            oauth_complete(data.validated_data["redirect_url"])
        except OAuthError as exc:
            raise ValidationError({"redirect_url": [str(exc)]}) from exc
        return Response(oauth_status())


class OAuthStatusView(APIView):
    """GET: mode, connection, scopes, token expiry, needs_relogin, last error."""

    permission_classes = [IsViewer]

    @extend_schema(responses=OAuthStatusSerializer, tags=["oauth"])
    def get(self, request: Request) -> Response:
        return Response(oauth_status())


class OAuthDisconnectView(APIView):
    """POST: forget the stored Spotify login."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses=OAuthStatusSerializer, tags=["oauth"])
    def post(self, request: Request) -> Response:
        oauth_disconnect()
        return Response(oauth_status())


# --- provider connection state and Spotify look-ups (REST API helper) ----------------------


def _probe(name: str) -> dict[str, Any]:
    report = probes.run_probe(name)
    return {
        "name": name,
        "state": report.status,
        "detail": report.detail,
        "latency_ms": report.latency_ms,
    }


class ProviderList(APIView):
    """GET: connection state of slskd and Spotify (a fresh probe) and their status sections."""

    permission_classes = [IsViewer]
    pagination_class = None  # two rows, never paged
    provider_errors = True

    @extend_schema(responses=ProviderStateSerializer(many=True), tags=["providers"])
    def get(self, request: Request) -> Response:
        sections = probes.collect_status()
        rows = [{**_probe(name), "status": sections.get(name, {})} for name in PROVIDERS]
        return Response(ProviderStateSerializer(rows, many=True).data)


class ProviderTest(APIView):
    """POST: probe one provider now (`name` is slskd or spotify); the outcome is in the body."""

    permission_classes = [IsOperator]

    @extend_schema(request=None, responses=ProviderTestSerializer, tags=["providers"])
    def post(self, request: Request, name: str) -> Response:
        if name not in PROVIDERS:
            raise NotFound(f"No provider {name!r}; one of {', '.join(PROVIDERS)}.")
        return Response(ProviderTestSerializer(_probe(name)).data)


class SpotifySearch(APIView):
    """GET `?q=&type=track&limit=`: Spotify tracks for the UI's search box (at most 10)."""

    permission_classes = [IsViewer]
    pagination_class = None  # at most 10 results, never paged
    provider_errors = True

    @extend_schema(
        parameters=[SpotifySearchQuerySerializer],
        responses=SpotifyTrackSerializer(many=True),
        tags=["spotify"],
    )
    def get(self, request: Request) -> Response:
        query = SpotifySearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        args = query.validated_data
        # Not configured → ProviderNotConfigured → 409 (harmony_site.api.exceptions).
        results = SpotifyClient.from_config().search(args["q"], args["type"], args["limit"])
        return Response(SpotifyTrackSerializer(results, many=True).data)


class SpotifyLibrary(APIView):
    """GET `?cursor=&limit=&q=`: one page of the connected account's playlists, saved tracks or
    followed artists (`kind`), one Spotify request per page; follow `next` for more."""

    permission_classes = [IsViewer]
    pagination_class = None  # paged by Spotify's own offsets and cursors (`next_cursor`)
    provider_errors = True  # FREE mode → 502 "needs PRO mode"; a long 429 → 503 retry_after

    @extend_schema(
        parameters=[SpotifyLibraryQuerySerializer],
        responses=SpotifyLibraryPageSerializer,
        tags=["spotify"],
    )
    def get(self, request: Request, kind: str) -> Response:
        if kind not in LIBRARY_KINDS:
            raise NotFound(f"No library list {kind!r}; one of {', '.join(LIBRARY_KINDS)}.")
        query = SpotifyLibraryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        args = query.validated_data
        try:
            page = library_page(
                SpotifyClient.from_config(),
                kind,
                cursor=args["cursor"],
                limit=args["limit"],
                query=args["q"],
            )
        except ValueError as exc:  # a cursor that did not come from `next_cursor`
            raise ValidationError({"cursor": [str(exc)]}) from exc
        params = {"cursor": page.next_cursor, "limit": args["limit"], "q": args["q"]}
        body = {
            "kind": kind,
            "total": page.total,
            "next_cursor": page.next_cursor,
            "next": request.build_absolute_uri(f"?{urlencode(params)}")
            if page.next_cursor
            else None,
            "scanned": page.scanned,
            "results": [{**asdict(entry), "uri": entry.uri} for entry in page.entries],
        }
        return Response(SpotifyLibraryPageSerializer(body).data)
