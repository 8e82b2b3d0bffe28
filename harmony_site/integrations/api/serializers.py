"""Input and output shapes of the integrations API. Secrets are write-only: never echoed."""

from __future__ import annotations

from rest_framework import serializers

from harmony_site.integrations.models import Delivery, Integration, Kind
from harmony_site.integrations.services import SUBSCRIBABLE


class IntegrationIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=2000, help_text="Apprise URL, webhook URL or base URL.")
    secret = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Token, API key, Subsonic password or webhook signing secret.",
    )
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)
    server_music_dir = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE), required=False, max_length=20
    )
    enabled = serializers.BooleanField(required=False, default=True)


class IntegrationUpdateIn(IntegrationIn):
    """Every field optional; an empty or missing `url`/`secret` keeps the stored one."""

    kind = None  # the kind of an integration never changes
    name = serializers.CharField(max_length=100, required=False)
    url = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


class IntegrationOut(serializers.ModelSerializer):
    url = serializers.CharField(source="url_hint", help_text="The URL with secrets masked.")
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "kind",
            "name",
            "enabled",
            "url",
            "has_secret",
            "username",
            "server_music_dir",
            "events",
            "synced_at",
            "sync_error",
            "created_at",
            "updated_at",
        ]

    def get_has_secret(self, obj: Integration) -> bool:
        return bool(obj.secret)


class TestOut(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class DeliveryOut(serializers.ModelSerializer):
    integration_name = serializers.CharField(source="integration.name")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "integration",
            "integration_name",
            "event_kind",
            "event_count",
            "state",
            "attempts",
            "failures",
            "next_attempt_at",
            "last_error",
            "response_status",
            "created_at",
            "sent_at",
            "payload",
        ]


class DeliveryListQuery(serializers.Serializer):
    integration = serializers.IntegerField(required=False, min_value=1)
    state = serializers.ChoiceField(choices=Delivery.State.choices, required=False)
