"""API-key serializers: output (never the hash) and input kept apart."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import APIKey, RoleChoices

MAX_EXPIRY_DAYS = 3650


class APIKeySerializer(serializers.ModelSerializer):
    expires = serializers.DateTimeField(source="expiry_date", allow_null=True, read_only=True)
    has_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = APIKey
        fields = [
            "prefix",
            "name",
            "role",
            "created",
            "created_by",
            "last_used",
            "expires",
            "has_expired",
            "revoked",
        ]


class APIKeyCreatedSerializer(APIKeySerializer):
    key = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The key itself, shown once: Harmony stores only its hash. Null in a replay "
        "of the request (same Idempotency-Key): the key is not kept for replays either.",
    )

    class Meta(APIKeySerializer.Meta):
        fields = [*APIKeySerializer.Meta.fields, "key"]


class APIKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, help_text="What the key is for (1-50 chars).")
    role = serializers.ChoiceField(choices=RoleChoices.choices, default=RoleChoices.VIEWER)
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        allow_null=True,
        help_text="Days until the key stops working; omit for a key that never expires.",
    )

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value.strip()
