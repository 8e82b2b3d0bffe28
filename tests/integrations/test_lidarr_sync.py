"""Lidarr's wanted list becomes HDM album requests, once, with the MusicBrainz ids kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from downloads.models import Job, JobScope
from harmony_site.integrations import lidarr_sync, services
from harmony_site.integrations.models import Integration
from tests.fakes.base import Reply
from tests.fakes.lidarr import FakeLidarr
from tests.integrations.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def lidarr(db) -> Iterator[FakeLidarr]:
    with FakeLidarr() as server:
        server.add_missing_album("The Testers", "Test Album", ["One", "Two", "Three"], have=1)
        server.add_missing_album("Others", "Complete", ["Only"], have=1)  # nothing left to get
        yield server


@pytest.fixture
def connection(lidarr: FakeLidarr) -> Integration:
    return services.create_integration(
        kind="lidarr", name="lidarr", url=lidarr.url, secret=lidarr.api_key, actor="test"
    )


def test_missing_albums_become_album_requests_with_musicbrainz_ids(lidarr, connection, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}  # enqueue only, run nothing
    assert lidarr_sync.sync_due(now=T0) == 1

    parent = Job.objects.get(scope=JobScope.ALBUM)
    assert parent.label == "The Testers — Test Album"
    assert parent.source_ref == "lidarr:rg-0001-mbid"
    assert parent.actor == "lidarr:lidarr"
    tracks = Job.objects.filter(parent=parent).order_by("id")
    assert [t.wanted["title"] for t in tracks] == ["Two", "Three"]
    assert tracks[0].wanted["musicbrainz_recording_id"] == "rec-1-2-mbid"
    assert tracks[0].wanted["musicbrainz_album_id"] == "release-1-mbid"


def test_syncing_again_finds_the_live_request_instead_of_duplicating_it(
    lidarr, connection, settings
):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    lidarr_sync.sync_due(now=T0)
    assert lidarr_sync.sync_due(now=T0 + timedelta(minutes=1)) == 0, "not due yet"
    due = T0 + timedelta(minutes=settings.INTEGRATIONS["LIDARR_SYNC_MINUTES"])
    assert lidarr_sync.sync_due(now=due) == 0, "already enqueued"
    assert Job.objects.filter(scope=JobScope.ALBUM).count() == 1
    assert Job.objects.filter(scope=JobScope.TRACK).count() == 2


def test_a_failing_lidarr_is_recorded_and_shown_not_raised(lidarr, connection):
    lidarr.inject("GET", r"/api/v1/wanted/missing", Reply.empty(401))
    assert lidarr_sync.sync_due(now=T0) == 0
    connection.refresh_from_db()
    assert "ProviderAuthError" in connection.sync_error
    from harmony_site.integrations.selectors import problems

    assert problems()[0]["state"] == "sync failed"
