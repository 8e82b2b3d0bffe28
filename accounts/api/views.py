"""API keys over the REST API (admin only): list, create (the key is shown once), revoke.

Every write goes through `accounts.services` (hash-only storage, audit, logging).
"""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    APIKeyCreatedSerializer,
    APIKeyCreateSerializer,
    APIKeySerializer,
)
from accounts.auth import IsAdmin, actor_for
from accounts.models import APIKey
from accounts.services import AccountError, create_api_key, revoke_api_key
from harmony_site.api.exceptions import ApiError
from harmony_site.api.idempotency import idempotent


class APIKeyList(generics.ListCreateAPIView):
    """Database API keys, newest first (never the key or its hash); POST creates one."""

    permission_classes = [IsAdmin]
    serializer_class = APIKeySerializer
    queryset = APIKey.objects.all()
    filterset_fields = ["role", "revoked"]
    ordering_fields = ["created", "name", "last_used"]

    @extend_schema(request=APIKeyCreateSerializer, responses={201: APIKeyCreatedSerializer})
    @idempotent(redact=("key",))  # the plain key is never stored, not even for a replay
    def post(self, request: Request) -> Response:
        data = APIKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        days = data.validated_data.get("expires_in_days")
        try:
            key, plaintext = create_api_key(
                name=data.validated_data["name"],
                role=data.validated_data["role"],
                expires=timedelta(days=days) if days else None,
                actor=actor_for(request.user),
            )
        except AccountError as exc:
            raise ApiError(str(exc), code="validation_error", details={"name": [str(exc)]}) from exc
        key.key = plaintext
        return Response(APIKeyCreatedSerializer(key).data, status=201)


def _revoke(request: Request, prefix: str) -> Response:
    key = get_object_or_404(APIKey, prefix=prefix)
    key = revoke_api_key(key=key, actor=actor_for(request.user))
    return Response(APIKeySerializer(key).data)


class APIKeyDetail(APIView):
    """GET one key; DELETE revokes it (kept for the record, never reusable)."""

    permission_classes = [IsAdmin]

    @extend_schema(responses=APIKeySerializer)
    def get(self, request: Request, prefix: str) -> Response:
        return Response(APIKeySerializer(get_object_or_404(APIKey, prefix=prefix)).data)

    @extend_schema(responses={200: APIKeySerializer})
    def delete(self, request: Request, prefix: str) -> Response:
        return _revoke(request, prefix)


class APIKeyRevoke(APIView):
    """POST: revoke the key (the same as DELETE on the key; repeating it is harmless)."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses=APIKeySerializer)
    def post(self, request: Request, prefix: str) -> Response:
        return _revoke(request, prefix)
