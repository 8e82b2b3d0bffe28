"""django-filter building blocks shared by the list endpoints."""

from __future__ import annotations

import django_filters
from django import forms

MAX_ID = 2**63 - 1  # the largest primary key any supported database stores


class IdField(forms.IntegerField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number 1 ≤ n < 2**63 (anything else answers 400)."""

    field_class = IdField
