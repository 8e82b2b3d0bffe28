"""Thin DRF views over the Spotify OAuth service functions (`providers.spotify.oauth`).

Connecting or disconnecting the Spotify account is an admin's decision (it is the instance's
provider credential); every role may read the status.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import IsAdmin, IsViewer
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
    """POST → `{"url": …}`: open it in a browser to log in to Spotify (PRO mode)."""

    permission_classes = [IsAdmin]

    def post(self, request: Request) -> Response:
        try:
            return Response({"url": oauth_authorize_url()})
        except OAuthError as exc:
            raise ValidationError({"detail": str(exc)}) from exc


class OAuthManualView(APIView):
    """POST `{"redirect_url": …}`: finish a login by pasting the URL the browser ended on."""

    permission_classes = [IsAdmin]

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

    def get(self, request: Request) -> Response:
        return Response(oauth_status())


class OAuthDisconnectView(APIView):
    """POST: forget the stored Spotify login."""

    permission_classes = [IsAdmin]

    def post(self, request: Request) -> Response:
        oauth_disconnect()
        return Response(oauth_status())
