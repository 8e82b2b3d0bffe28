"""Serializer building blocks shared by every app's API (limits documented in docs/api.md)."""

from __future__ import annotations

from rest_framework import serializers

from harmony_site.api.filters import MAX_ID

# Documented limits for free text and lists in request bodies and query strings.
MAX_TEXT_LENGTH = 1000
MAX_NAME_LENGTH = 200
MAX_LIST_LENGTH = 500


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable reason, e.g. `validation_error`.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    details = serializers.DictField(
        help_text="Field errors (`{field: [messages]}`) or other context; may be empty."
    )


class ErrorSerializer(serializers.Serializer):
    """`{"error": {"code", "message", "details"}}`: every 4xx and 5xx answer of the API."""

    error = ErrorDetailSerializer()


def bounded_list(child: serializers.Field, *, max_length: int = MAX_LIST_LENGTH, **kwargs):
    """A ListField refusing more than `max_length` items (400 with the field's error)."""
    return serializers.ListField(child=child, max_length=max_length, **kwargs)


def id_field(**kwargs) -> serializers.IntegerField:
    """An object id in a request body: 1 ≤ n < 2**63 (larger numbers would overflow SQL)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)
