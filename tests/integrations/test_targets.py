"""Media servers, Lidarr and webhooks as delivery targets; secrets at rest; the events that
feed them (real imports, dead jobs, watchlists, health, the daily summary)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from harmony_site.integrations import outbox, services, watch
from harmony_site.integrations.models import Delivery, Event, EventKind, Integration
from harmony_site.probes import ProbeReport
from library.services import ingest_file
from providers.types import TrackMeta
from providers.webhooks import verify
from tests.fakes.lidarr import FakeLidarr
from tests.fakes.mediaservers import FakeJellyfin, FakeNavidrome, FakePlex
from tests.integrations.conftest import T0

pytestmark = pytest.mark.django_db

META = TrackMeta(
    title="Song Alpha",
    artists=("The Testers",),
    album="Test Album",
    album_artist="The Testers",
    release_date="2001",
    track_number=1,
    duration_ms=1000,
)


def _media_servers(
    plex: FakePlex, jellyfin: FakeJellyfin, navidrome: FakeNavidrome, lidarr: FakeLidarr
) -> None:
    create = services.create_integration
    create(
        kind="plex",
        name="plex",
        url=plex.url,
        secret=plex.token,
        server_music_dir="/data/music",
        actor="test",
    )
    create(kind="jellyfin", name="jf", url=jellyfin.url, secret=jellyfin.api_key, actor="test")
    create(
        kind="navidrome",
        name="nd",
        url=navidrome.url,
        username=navidrome.username,
        secret=navidrome.password,
        actor="test",
    )
    create(
        kind="lidarr",
        name="lidarr",
        url=lidarr.url,
        secret=lidarr.api_key,
        server_music_dir="/music",
        actor="test",
    )


def test_a_real_import_asks_every_media_server_and_lidarr_to_rescan_its_folder(
    library_dirs, audio_file, django_capture_on_commit_callbacks
):
    downloads, _music = library_dirs
    with (
        FakePlex(music_path="/data/music") as plex,
        FakeJellyfin() as jellyfin,
        FakeNavidrome() as navidrome,
        FakeLidarr() as lidarr,
    ):
        _media_servers(plex, jellyfin, navidrome, lidarr)
        with django_capture_on_commit_callbacks(execute=True):
            result = ingest_file(
                audio_file("flac", directory=downloads), meta=META, source={}, actor="test"
            )
        assert result.status == "imported"
        folder = str(Path(result.library_file.path).parent)
        created = Event.objects.get().created_at

        report = services.run_tick(now=created + timedelta(minutes=5))

    assert report["sent"] == 4
    assert plex.scans == [("1", f"/data/music/{folder}")]
    assert (jellyfin.refreshes, navidrome.scans) == (1, 1)
    assert lidarr.commands[0]["body"]["folders"] == [f"/music/{folder}"]


def test_an_unreachable_media_server_never_fails_the_import(
    library_dirs, audio_file, django_capture_on_commit_callbacks, caplog
):
    downloads, music = library_dirs
    services.create_integration(
        kind="jellyfin", name="gone", url="http://127.0.0.1:9", secret="k", actor="test"
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_file(
            audio_file("flac", directory=downloads), meta=META, source={}, actor="test"
        )
    assert result.status == "imported" and (music / result.library_file.path).is_file()

    services.run_tick(now=Event.objects.get().created_at + timedelta(minutes=5))

    delivery = Delivery.objects.get()
    assert delivery.state == "retry" and "cannot connect" in delivery.last_error
    assert "hdm.mediaserver.failed" in [r.message for r in caplog.records]


def test_webhook_deliveries_are_signed_and_verifiable(receiver):
    secret = "webhook-secret-0123456789"
    services.create_integration(
        kind="webhook",
        name="hook",
        url=f"{receiver.url}/in",
        secret=secret,
        events=[EventKind.JOB_FAILED],
        actor="test",
    )
    outbox.record_event(EventKind.JOB_FAILED, {"line": "A — B: no candidates", "job_id": 3}, now=T0)
    services.run_tick(now=T0 + timedelta(hours=1))

    request = receiver.received[0]
    assert verify(
        secret,
        request.headers["x-harmony-timestamp"],
        request.body,
        request.headers["x-harmony-signature"],
    )
    body = request.json()
    assert (body["event"], body["count"], body["items"][0]["job_id"]) == ("job_failed", 1, 3)


def test_urls_and_secrets_are_encrypted_at_rest(receiver):
    secret = "webhook-secret-0123456789"
    services.create_integration(
        kind="webhook",
        name="hook",
        url=f"{receiver.url}/tok3n",
        secret=secret,
        events=[EventKind.JOB_FAILED],
        actor="test",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT url, secret, url_hint FROM integrations_integration")
        url, stored_secret, hint = cursor.fetchone()
    assert "tok3n" not in url and secret not in stored_secret
    assert "tok3n" not in hint


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("apprise", {"url": "nonsense://x", "events": ["job_failed"]}, "url"),
        ("apprise", {"url": "json://127.0.0.1/x", "events": []}, "events"),
        (
            "webhook",
            {"url": "http://127.0.0.1/x", "secret": "s" * 16, "events": ["test"]},
            "events",
        ),
        (
            "webhook",
            {"url": "http://127.0.0.1/x", "secret": "short", "events": ["job_failed"]},
            "secret",
        ),
        ("plex", {"url": "ftp://plex"}, "url"),
        ("navidrome", {"url": "http://nd", "secret": "pw"}, "secret"),
    ],
)
def test_invalid_targets_are_refused_with_the_field_to_fix(db, kind, values, field):
    with pytest.raises(services.IntegrationError) as caught:
        services.create_integration(kind=kind, name="x", actor="test", **values)
    assert caught.value.field == field
    assert not Integration.objects.exists()


def test_test_connection_reports_the_server_or_the_error():
    with FakeNavidrome() as navidrome:
        good = services.create_integration(
            kind="navidrome",
            name="nd",
            url=navidrome.url,
            username=navidrome.username,
            secret=navidrome.password,
            actor="test",
        )
        bad = services.create_integration(
            kind="navidrome",
            name="nd2",
            url=navidrome.url,
            username="harmony",
            secret="wrong",
            actor="test",
        )
        assert services.test_integration(good) == (True, "Connected: navidrome 0.53.3 (13af8ed4).")
        ok, detail = services.test_integration(bad)
    assert not ok and "Wrong username or password" in detail


def test_health_turning_bad_is_told_once_per_new_failure(notifier, receiver, monkeypatch):
    reports = [ProbeReport("slskd", "fail", "cannot connect", 1.0)]
    monkeypatch.setattr("harmony_site.integrations.watch.probes.run_probes", lambda: reports)
    assert watch.check_health(now=T0) is True
    assert watch.check_health(now=T0) is False, "still the same failure"
    reports = []
    assert watch.check_health(now=T0) is False, "recovered: nothing to tell"
    reports = [ProbeReport("slskd", "fail", "again", 1.0)]
    assert watch.check_health(now=T0) is True
    assert Event.objects.filter(kind=EventKind.HEALTH_BAD).count() == 2


def test_the_daily_summary_is_recorded_once_a_day_from_its_hour(db, receiver, settings):
    settings.INTEGRATIONS = {**settings.INTEGRATIONS, "DAILY_SUMMARY_HOUR": 8}
    services.create_integration(
        kind="apprise",
        name="daily",
        url=receiver.apprise_url(),
        events=[EventKind.DAILY_SUMMARY],
        actor="test",
    )
    morning = T0.replace(hour=7)
    assert watch.daily_summary(now=morning) is False
    assert watch.daily_summary(now=morning.replace(hour=9)) is True
    assert watch.daily_summary(now=morning.replace(hour=23)) is False
    assert watch.daily_summary(now=morning + timedelta(days=1, hours=2)) is True
    services.run_tick(now=morning + timedelta(days=1, hours=2))
    assert receiver.received[0].json()["title"] == "Harmony: daily summary"


def test_two_runs_reading_the_same_old_marker_send_one_summary(db, receiver, monkeypatch):
    services.create_integration(
        kind="apprise",
        name="daily",
        url=receiver.apprise_url(),
        events=[EventKind.DAILY_SUMMARY],
        actor="test",
    )
    monkeypatch.setattr(watch, "_marker", lambda name: None)  # both runs read "never sent"
    noon = T0.replace(hour=12)
    assert watch.daily_summary(now=noon) is True
    assert watch.daily_summary(now=noon) is False, "the marker row was created by the first"
    assert Event.objects.filter(kind=EventKind.DAILY_SUMMARY).count() == 1
