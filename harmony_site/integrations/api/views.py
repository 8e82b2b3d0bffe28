"""REST API of the integrations (/api/v1/integrations): admin only, secrets write-only.

Thin views: validate, call one service or selector, answer. A value the service refuses is a
400 naming the field (`invalid_integration`).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import IsAdmin, actor_for
from harmony_site.api.exceptions import ApiError
from harmony_site.api.idempotency import idempotent
from harmony_site.api.pagination import HarmonyPagination
from harmony_site.integrations import outbox, selectors, services
from harmony_site.integrations.api import serializers as s
from harmony_site.integrations.models import Delivery, Integration


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _paged(view: APIView, request: Request, rows: Any, out: type) -> Response:
    paginator = HarmonyPagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(out(page, many=True).data)


def _invalid(exc: services.IntegrationError) -> ApiError:
    return ApiError(str(exc), code="invalid_integration", details={"field": exc.field})


class IntegrationsView(APIView):
    """`GET /integrations` (every target) and `POST /integrations` (add one)."""

    permission_classes = [IsAdmin]

    @extend_schema(responses=s.IntegrationOut(many=True))
    def get(self, request: Request) -> Response:
        return _paged(self, request, selectors.integrations(), s.IntegrationOut)

    @extend_schema(request=s.IntegrationIn, responses={201: s.IntegrationOut})
    @idempotent
    def post(self, request: Request) -> Response:
        data = _valid(s.IntegrationIn, request.data)
        try:
            integration = services.create_integration(**data, actor=actor_for(request.user))
        except services.IntegrationError as exc:
            raise _invalid(exc) from None
        return Response(s.IntegrationOut(integration).data, status=status.HTTP_201_CREATED)


class IntegrationDetailView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses=s.IntegrationOut)
    def get(self, request: Request, integration_id: int) -> Response:
        integration = get_object_or_404(Integration, pk=integration_id)
        return Response(s.IntegrationOut(integration).data)

    @extend_schema(request=s.IntegrationUpdateIn, responses=s.IntegrationOut)
    def patch(self, request: Request, integration_id: int) -> Response:
        integration = get_object_or_404(Integration, pk=integration_id)
        data = _valid(s.IntegrationUpdateIn, request.data)
        try:
            services.update_integration(integration, actor=actor_for(request.user), **data)
        except services.IntegrationError as exc:
            raise _invalid(exc) from None
        return Response(s.IntegrationOut(integration).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, integration_id: int) -> Response:
        integration = get_object_or_404(Integration, pk=integration_id)
        services.delete_integration(integration, actor=actor_for(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class IntegrationTestView(APIView):
    """`POST /integrations/{id}/test`: send a test message or test the connection now."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses=s.TestOut)
    def post(self, request: Request, integration_id: int) -> Response:
        integration = get_object_or_404(Integration, pk=integration_id)
        ok, detail = services.test_integration(integration)
        return Response({"ok": ok, "detail": detail})


class DeliveriesView(APIView):
    """`GET /integrations/deliveries`: the delivery log, newest first, paged."""

    permission_classes = [IsAdmin]

    @extend_schema(parameters=[s.DeliveryListQuery], responses=s.DeliveryOut(many=True))
    def get(self, request: Request) -> Response:
        query = _valid(s.DeliveryListQuery, request.query_params)
        rows = selectors.deliveries(
            integration_id=query.get("integration"), state=query.get("state", "")
        )
        return _paged(self, request, rows, s.DeliveryOut)


class DeliveryRetryView(APIView):
    """`POST /integrations/deliveries/{id}/retry`: send a given-up delivery again."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses=s.DeliveryOut)
    def post(self, request: Request, delivery_id: int) -> Response:
        delivery = get_object_or_404(Delivery, pk=delivery_id)
        if not outbox.retry_delivery(delivery, actor=actor_for(request.user)):
            raise ApiError(
                "Only a delivery that was given up can be retried.",
                code="delivery_not_dead",
                status=409,
            )
        delivery.refresh_from_db()
        return Response(s.DeliveryOut(delivery).data)
