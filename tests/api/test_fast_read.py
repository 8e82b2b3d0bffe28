"""`FastReadMixin` must answer exactly what DRF's own `to_representation` answers."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from harmony_site.api.serializers import FastReadMixin
from library.api.serializers import TrackSerializer
from library.api.views import tracks
from library.models import Artist, Track
from tests.api.conftest import make_library
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


def _drf_representation(serializer: serializers.Serializer, instance) -> dict:
    return super(FastReadMixin, serializer).to_representation(instance)


def test_track_page_matches_drf(monkeypatch):
    make_library(5)
    loose = TrackFactory()
    Track.objects.filter(pk=loose.pk).update(artist=None, album=None)  # the None branch
    rows = list(tracks())
    fast = TrackSerializer(rows, many=True).data
    monkeypatch.setattr(FastReadMixin, "to_representation", _drf_representation)
    assert TrackSerializer(rows, many=True).data == fast


class _Counted(FastReadMixin, serializers.ModelSerializer):
    album_count = serializers.IntegerField(read_only=True)  # an annotation, absent here
    label = serializers.CharField(source="__str__", read_only=True)  # a callable value

    class Meta:
        model = Artist
        fields = ["id", "name", "album_count", "label"]


def test_missing_attributes_and_callables_follow_drf(monkeypatch):
    artist = Artist.objects.create(name="Björk")
    fast = _Counted(artist).data
    assert "album_count" not in fast and fast["label"] == str(artist)
    monkeypatch.setattr(FastReadMixin, "to_representation", _drf_representation)
    assert _Counted(artist).data == fast
