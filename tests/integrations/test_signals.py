"""What happens elsewhere becomes an event: dead jobs, finished albums, watchlist finds."""

from __future__ import annotations

import pytest

from downloads.models import JobEvent, JobScope, JobState, Watchlist, WatchlistSync
from harmony_site.integrations import services
from harmony_site.integrations.models import Event, EventKind
from tests.ui.conftest import make_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(db, receiver):
    return services.create_integration(
        kind="apprise",
        name="all",
        url=receiver.apprise_url(),
        events=[EventKind.JOB_FAILED, EventKind.ALBUM_COMPLETE, EventKind.WATCHLIST_NEW],
        actor="test",
    )


def _move(job, to_state, django_capture_on_commit_callbacks, **fields) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        type(job).objects.filter(pk=job.pk).update(state=to_state, **fields)
        JobEvent.objects.create(job=job, from_state=job.state, to_state=to_state, reason="test")


def test_a_job_reaching_the_dead_letter_queue_is_a_job_failed_event(
    listener, django_capture_on_commit_callbacks
):
    job = make_job(JobState.SEARCHING, label="A — B")
    _move(job, JobState.DEAD, django_capture_on_commit_callbacks, dead_reason="no_candidates")
    event = Event.objects.get()
    assert event.kind == EventKind.JOB_FAILED
    assert event.payload["line"] == "A — B: No candidate passed the filters"


def test_an_album_request_finishing_is_an_album_complete_event(
    listener, django_capture_on_commit_callbacks
):
    album = make_job(JobState.DOWNLOADING, label="A — Album", scope=JobScope.ALBUM)
    track = make_job(JobState.MOVING, label="A — Song")
    _move(track, JobState.DONE, django_capture_on_commit_callbacks)
    _move(album, JobState.DONE, django_capture_on_commit_callbacks)
    assert list(Event.objects.values_list("kind", flat=True)) == [EventKind.ALBUM_COMPLETE]


def test_a_rolled_back_transition_tells_nobody(listener, django_capture_on_commit_callbacks):
    job = make_job(JobState.SEARCHING)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        JobEvent.objects.create(job=job, from_state="searching", to_state="dead", reason="x")
    assert callbacks  # scheduled after commit only
    assert not Event.objects.exists()


def test_a_watchlist_sync_that_enqueued_tracks_is_a_watchlist_event(
    listener, django_capture_on_commit_callbacks
):
    watchlist = Watchlist.objects.create(kind=Watchlist.Kind.PLAYLIST, name="Discover")
    with django_capture_on_commit_callbacks(execute=True):
        sync = WatchlistSync.objects.create(watchlist=watchlist)
        sync.status, sync.new, sync.enqueued = WatchlistSync.Status.OK, 4, 3
        sync.save()
    event = Event.objects.get()
    assert (event.kind, event.payload["line"]) == (EventKind.WATCHLIST_NEW, "Discover: 3 new")
