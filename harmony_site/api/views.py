"""`GET/PATCH /api/v1/settings` (admin only) over `harmony_site.configuration`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import IsAdmin, actor_for
from harmony_site.api.exceptions import ApiError
from harmony_site.config import KNOBS
from harmony_site.configuration import (
    MAX_CHANGES,
    MAX_VALUE_LENGTH,
    SettingsError,
    describe_settings,
    update_settings,
)


class SettingSerializer(serializers.Serializer):
    name = serializers.CharField()
    section = serializers.CharField()
    type = serializers.ChoiceField(choices=sorted({knob.kind for knob in KNOBS}))
    help = serializers.CharField()
    secret = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField())
    minimum = serializers.FloatField(allow_null=True)
    value = serializers.JSONField(help_text="The running value; secrets read `********`.")
    source = serializers.ChoiceField(choices=["environment", "harmony.yml", "default"])
    editable = serializers.BooleanField(
        help_text="False when the environment sets it (or it is environment-only)."
    )
    pending_restart = serializers.BooleanField(
        help_text="harmony.yml holds another value, which applies after a restart."
    )


class SettingsListSerializer(serializers.Serializer):
    settings = SettingSerializer(many=True)


class SettingsChangedSerializer(serializers.Serializer):
    changed = serializers.ListField(child=serializers.CharField())
    restart_required = serializers.ListField(
        child=serializers.CharField(), help_text="Changes that apply after a restart (all)."
    )
    settings = SettingSerializer(many=True)


def _checked_body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not data:
        raise ValidationError({"non_field_errors": ["Send an object of NAME: value pairs."]})
    if len(data) > MAX_CHANGES:
        raise ValidationError({"non_field_errors": [f"At most {MAX_CHANGES} settings at once."]})
    too_long = {
        name: [f"At most {MAX_VALUE_LENGTH} characters."]
        for name, value in data.items()
        if len(str(value)) > MAX_VALUE_LENGTH
    }
    if too_long:
        raise ValidationError(too_long)
    return data


class SettingsView(APIView):
    """Every configuration knob: value, source, whether the environment pins it (admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(responses=SettingsListSerializer, tags=["settings"])
    def get(self, request: Request) -> Response:
        return Response({"settings": describe_settings()})

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses=SettingsChangedSerializer,
        tags=["settings"],
        examples=[OpenApiExample("Log more", value={"LOG_LEVEL": "DEBUG"}, request_only=True)],
    )
    def patch(self, request: Request) -> Response:
        """Change knobs in harmony.yml (`{"NAME": value}`); env-pinned knobs answer 409."""
        changes = _checked_body(request.data)
        try:
            result = update_settings(changes, actor=actor_for(request.user))
        except SettingsError as exc:
            if exc.conflict and "harmony.yml" in exc.errors:
                raise ApiError(
                    exc.errors["harmony.yml"][0], code="config_file_invalid", status=409
                ) from exc
            if exc.conflict:
                raise ApiError(
                    "Set by the environment, which overrides harmony.yml: " + ", ".join(exc.errors),
                    code="env_override",
                    status=409,
                    details=exc.errors,
                ) from exc
            raise ValidationError(exc.errors) from exc
        return Response(
            {
                "changed": result.changed,
                "restart_required": result.restart_required,
                "settings": describe_settings(),
            }
        )
