"""Serializer building blocks shared by every app's API (limits documented in docs/api.md)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject

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


class FastReadMixin:
    """Output serializers of list pages: DRF's `to_representation` minus its per-field detour.

    DRF resolves every field of every row through `Field.get_attribute()` (dotted sources,
    callables, dictionaries, error translation). A page of 50 tracks has about 1,700 fields,
    and that generality was almost half of the time spent serialising it. For a model instance
    and a field reading one plain attribute the result is the same as `getattr`, so that is
    what this does; every other field (dotted or `*` source, method and relational fields,
    a missing attribute, a callable value) takes DRF's own path.
    """

    @cached_property
    def _read_plan(self) -> list[tuple[str, str | None, Field]]:
        # Built once per serializer instance: once per response for the rows of a list.
        plan = []
        for field in self._readable_fields:  # type: ignore[attr-defined]
            plain = type(field).get_attribute is Field.get_attribute
            attr = field.source_attrs[0] if plain and len(field.source_attrs) == 1 else None
            plan.append((field.field_name, attr, field))
        return plan

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)  # type: ignore[misc]
        data: dict[str, Any] = {}
        for name, attr, field in self._read_plan:
            try:
                value = _MISSING if attr is None else getattr(instance, attr)
            except (AttributeError, ObjectDoesNotExist):
                value = _MISSING
            if value is _MISSING or callable(value):
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject) and value.pk is None:
                    value = None
            data[name] = None if value is None else field.to_representation(value)
        return data


_MISSING = object()
