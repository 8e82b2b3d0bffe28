"""Watchlists against the fake Spotify (real loopback server): artists with `since`,
playlists with their M3U8, failures and cooldown, the schedule, and the API."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_q.models import Schedule

from downloads import watchlists
from downloads.jobs import state
from downloads.jobs.queue import _dispatch as REAL_DISPATCH  # before `no_dispatch` replaces it
from downloads.jobs.schedules import ensure_schedules
from downloads.models import Job, JobScope, JobState, Watchlist, WatchlistItem, WatchlistSync
from tests.downloads.conftest import settle
from tests.downloads.ops import api_client, no_dispatch  # noqa: F401  (fixture)
from tests.factories import LibraryFileFactory
from tests.fakes.base import Reply
from tests.fakes.spotify import knobs_set
from tests.providers.spotify_helpers import connect_pro

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("hdm", "no_dispatch"),
]


@pytest.fixture
def pro(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        yield spotify_env


def _artist_link(fake, name: str = "radiohead") -> str:
    return f"https://open.spotify.com/artist/{fake.ids[name]}"


# --- Artists ------------------------------------------------------------------------------------


def test_an_artist_watchlist_enqueues_only_releases_since_its_date(spotify_env):
    watchlist = watchlists.create_watchlist(
        _artist_link(spotify_env), actor="user:op", release_types=["album"], since=date(2000, 1, 1)
    )
    assert watchlist.name == "Radiohead"
    sync = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="user:op")
    assert sync.status == WatchlistSync.Status.OK, sync.error
    assert (sync.found, sync.new, sync.enqueued) == (8, 2, 2)  # 8 albums, 2000 and 2001 new
    assert sync.details["before_since"] == 6
    parents = Job.objects.filter(scope=JobScope.ALBUM).order_by("label")
    assert [p.label for p in parents] == [
        "Radiohead — Radiohead Album 7",
        "Radiohead — Radiohead Album 8",
    ]
    assert all(p.kind == "watchlist" for p in parents)
    children = Job.objects.filter(scope=JobScope.TRACK)
    assert children.count() == 2 and {c.parent_id for c in children} == {p.pk for p in parents}
    assert {c.actor for c in children} == {f"watchlist:{watchlist.pk}"}


def test_a_second_sync_enqueues_only_what_is_new(spotify_env):
    watchlist = watchlists.create_watchlist(
        _artist_link(spotify_env),
        actor="t",
        release_types=["album", "single"],
        since=date(2001, 1, 1),
    )
    first = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    assert first.new == 3  # Album 8 (2001), Single 8 (2001) and Single 9 (2002)
    with spotify_env.lock:
        spotify_env.catalogue.add_album(
            "Brand New Single", [spotify_env.ids["radiohead"]], release_date="2027-02",
            precision="month", album_type="single", track_names=["Fresh"],
        )  # fmt: skip
    second = watchlists.sync_watchlist(watchlist.pk, trigger="schedule", actor="system")
    assert (second.new, second.enqueued) == (1, 1)
    assert second.details["releases"][0]["name"] == "Brand New Single"
    third = watchlists.sync_watchlist(watchlist.pk, trigger="schedule", actor="system")
    assert (third.new, third.enqueued) == (0, 0)
    assert WatchlistItem.objects.filter(watchlist=watchlist).count() == 4


def test_watching_from_today_does_not_flood_the_queue_with_the_catalogue(spotify_env):
    watchlist = watchlists.create_watchlist(_artist_link(spotify_env), actor="t")
    assert watchlist.since == timezone.localdate()
    assert watchlist.release_types == ["album", "single"]
    sync = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    assert sync.found == 17 and sync.new == 0 and not Job.objects.exists()


@pytest.mark.parametrize(
    ("released", "since", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1), True),
        ("2026-02-28", date(2026, 3, 1), False),
        ("2026", date(2026, 3, 1), True),  # year precision counts to its end
        ("2026-03", date(2026, 3, 15), True),
        ("2025", date(2026, 1, 1), False),
        ("", date(2026, 1, 1), True),
        ("1999", None, True),
    ],
)
def test_released_since_handles_every_date_precision(released, since, expected):
    assert watchlists.released_since(released, since) is expected


def test_failed_syncs_are_recorded_and_cool_down_after_the_limit(spotify_env, settings):
    settings.WATCHLISTS = {**settings.WATCHLISTS, "WATCHLIST_FAILURE_LIMIT": 2}
    watchlist = watchlists.create_watchlist(_artist_link(spotify_env), actor="t")
    body = {"error": {"status": 404, "message": "gone"}}
    spotify_env.inject("GET", r"/v1/artists/.*/albums", Reply.json(body, 404), times=2)
    first = watchlists.sync_watchlist(watchlist.pk, trigger="schedule", actor="system")
    assert first.status == WatchlistSync.Status.FAILED and "gone" in first.error
    watchlist.refresh_from_db()
    assert watchlist.consecutive_failures == 1
    normal = timedelta(minutes=settings.WATCHLISTS["WATCHLIST_SYNC_MINUTES"])
    assert watchlist.next_sync_at - timezone.now() <= normal
    watchlists.sync_watchlist(watchlist.pk, trigger="schedule", actor="system")
    watchlist.refresh_from_db()
    cooldown = timedelta(minutes=settings.WATCHLISTS["WATCHLIST_COOLDOWN_MINUTES"])
    assert watchlist.consecutive_failures == 2
    assert watchlist.next_sync_at - timezone.now() > cooldown - timedelta(minutes=1)
    recovered = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    watchlist.refresh_from_db()
    assert recovered.status == WatchlistSync.Status.OK and watchlist.consecutive_failures == 0


def test_the_schedule_syncs_due_enabled_watchlists_only(spotify_env):
    due = watchlists.create_watchlist(_artist_link(spotify_env), actor="t")
    later = watchlists.create_watchlist(_artist_link(spotify_env, "bjork"), actor="t")
    off = watchlists.create_watchlist(_artist_link(spotify_env, "sigur"), actor="t", enabled=False)
    Watchlist.objects.filter(pk=later.pk).update(next_sync_at=timezone.now() + timedelta(hours=1))
    assert watchlists.sync_due_watchlists() == [due.pk]
    assert watchlists.sync_due_watchlists() == []  # its next sync is an interval away
    assert not WatchlistSync.objects.filter(watchlist__in=[later, off]).exists()


def test_schedule_creation_is_idempotent():
    ensure_schedules()
    ensure_schedules()
    schedule = Schedule.objects.get(name="hdm-watchlists")
    assert schedule.func == "downloads.tasks.sync_watchlists"


def test_only_artists_and_playlists_can_be_watched_once(spotify_env):
    with pytest.raises(
        watchlists.WatchlistError, match="Only artists and playlists can be watched, not a album."
    ):
        watchlists.create_watchlist(
            f"https://open.spotify.com/album/{spotify_env.ids['album_day']}", actor="t"
        )
    with pytest.raises(watchlists.WatchlistError):
        watchlists.create_watchlist("not a link", actor="t")
    watchlists.create_watchlist(_artist_link(spotify_env), actor="t")
    with pytest.raises(watchlists.WatchlistError, match="This artist is already watched."):
        watchlists.create_watchlist(_artist_link(spotify_env), actor="t")


# --- Playlists and M3U8 -------------------------------------------------------------------------


def _finish(job: Job, path: str) -> None:
    """The job delivered `path` (a real file in MUSIC_DIR) and is done, through the service."""
    music = Path(os.fspath(watchlists.settings.MUSIC_DIR))
    (music / path).parent.mkdir(parents=True, exist_ok=True)
    (music / path).write_bytes(b"audio")
    library_file = LibraryFileFactory(path=path, duration_s=187.4)
    job = Job.objects.get(pk=job.pk)
    assert state.transition(
        job, to=JobState.DONE, reason="ingest_imported", claimed=False,
        library_file=library_file, track_id=library_file.track_id,
    )  # fmt: skip


def test_a_playlist_watchlist_enqueues_its_tracks_and_keeps_an_m3u8(pro, library_dirs):
    _downloads, music = library_dirs
    link = f"https://open.spotify.com/playlist/{pro.ids['playlist_mixed']}"
    watchlist = watchlists.create_watchlist(link, actor="t")
    sync = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    assert sync.status == WatchlistSync.Status.OK, sync.error
    assert (sync.found, sync.new, sync.enqueued) == (5, 5, 5)
    m3u8 = music / "playlists" / "Mixed Bag.m3u8"
    assert m3u8.read_text() == "#EXTM3U\n#PLAYLIST:Mixed Bag\n"  # nothing downloaded yet
    items = list(WatchlistItem.objects.filter(watchlist=watchlist).order_by("position"))
    assert [i.position for i in items] == [0, 1, 2, 3, 4]
    # The third and the first track finish, in that order: the file follows playlist order.
    _finish(items[2].job, "Sigur Rós/Ágætis byrjun (1999)/03 Starálfur.flac")
    _finish(items[0].job, "Sigur Rós/Ágætis byrjun (1999)/01 Intro.flac")
    lines = m3u8.read_text().splitlines()
    assert lines == [
        "#EXTM3U",
        "#PLAYLIST:Mixed Bag",
        "#EXTINF:187,Sigur Rós - Intro",
        "../Sigur Rós/Ágætis byrjun (1999)/01 Intro.flac",
        "#EXTINF:187,Sigur Rós - Starálfur",
        "../Sigur Rós/Ágætis byrjun (1999)/03 Starálfur.flac",
    ]
    assert (m3u8.parent / lines[3]).resolve() == (
        music / "Sigur Rós/Ágætis byrjun (1999)/01 Intro.flac"
    )
    assert [p.name for p in m3u8.parent.iterdir()] == ["Mixed Bag.m3u8"]  # no temp files left


def test_a_resync_keeps_items_and_follows_the_new_order(pro, library_dirs):
    link = f"https://open.spotify.com/playlist/{pro.ids['playlist_mixed']}"
    watchlist = watchlists.create_watchlist(link, actor="t")
    watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    with pro.lock:
        entries = pro.catalogue.playlists[pro.ids["playlist_mixed"]]["_entries"]
        entries.reverse()
        del entries[0]  # the last track leaves the playlist
    again = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    assert (again.found, again.new, again.enqueued) == (4, 0, 0)
    ordered = WatchlistItem.objects.filter(watchlist=watchlist, position__isnull=False)
    assert [i.label for i in ordered.order_by("position")] == [
        "Kitchen Song", "Starálfur", "Svefn-g-englar", "Intro",
    ]  # fmt: skip
    assert (
        WatchlistItem.objects.get(watchlist=watchlist, label="Duet (feat. Björk)").position is None
    )


def test_the_m3u8_rewrite_is_atomic(pro, library_dirs, monkeypatch):
    link = f"https://open.spotify.com/playlist/{pro.ids['playlist_mixed']}"
    watchlist = watchlists.create_watchlist(link, actor="t")
    watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    target = watchlists.m3u8_path(Watchlist.objects.get(pk=watchlist.pk))
    before = target.read_text()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(watchlists.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        watchlists.write_m3u8(Watchlist.objects.get(pk=watchlist.pk))
    assert target.read_text() == before  # the old file is intact
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # temp file removed


def test_playlists_dir_may_be_absolute(pro, library_dirs, settings, tmp_path):
    settings.WATCHLISTS = {**settings.WATCHLISTS, "PLAYLISTS_DIR": str(tmp_path / "lists")}
    link = f"https://open.spotify.com/playlist/{pro.ids['playlist_mixed']}"
    watchlist = watchlists.create_watchlist(link, actor="t")
    watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    assert (tmp_path / "lists" / "Mixed Bag.m3u8").is_file()


def test_a_playlist_cannot_be_followed_in_free_mode_and_says_why(spotify_env):
    link = f"https://open.spotify.com/playlist/{spotify_env.ids['playlist_mixed']}"
    with pytest.raises(watchlists.WatchlistError) as refused:
        watchlists.create_watchlist(link, actor="t")
    assert str(refused.value).startswith("Reading a playlist's tracks needs a connected Spotify")
    assert not Watchlist.objects.exists()
    assert not spotify_env.requests_to("GET", r"/v1/playlists/.*/items")


def test_someone_elses_playlist_is_refused_naming_its_owner(pro):
    link = f"spotify:playlist:{pro.ids['playlist_foreign']}"
    with pytest.raises(watchlists.WatchlistError, match="belongs to Someone Else. Copy its"):
        watchlists.create_watchlist(link, actor="t")
    shared = watchlists.create_watchlist(
        f"spotify:playlist:{pro.ids['playlist_collab']}", actor="t"
    )
    assert shared.name == "Shared Mix"  # collaborative: readable, so it may be followed


def test_an_old_free_mode_playlist_watchlist_fails_with_one_sentence(spotify_env):
    watchlist = Watchlist.objects.create(
        kind="playlist", spotify_id=spotify_env.ids["playlist_mixed"], name="Mixed Bag"
    )  # created before FREE mode refused it
    sync = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    assert sync.status == WatchlistSync.Status.FAILED
    assert sync.error.startswith("Reading a playlist's tracks needs a connected Spotify account")
    assert "Error" not in sync.error.split(":")[0]  # no Python exception name in front
    assert Watchlist.objects.get(pk=watchlist.pk).consecutive_failures == 1


def test_each_watchlist_keeps_its_own_sync_interval(spotify_env, settings):
    watchlist = watchlists.create_watchlist(
        _artist_link(spotify_env), actor="t", sync_minutes=24 * 60
    )
    watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    watchlist.refresh_from_db()
    assert watchlist.next_sync_at - timezone.now() > timedelta(hours=23)
    default = watchlists.create_watchlist(_artist_link(spotify_env, "bjork"), actor="t")
    watchlists.sync_watchlist(default.pk, trigger="manual", actor="t")
    default.refresh_from_db()
    normal = timedelta(minutes=settings.WATCHLISTS["WATCHLIST_SYNC_MINUTES"])
    assert default.next_sync_at - timezone.now() <= normal


def test_a_failing_m3u8_write_never_fails_the_job(pro, library_dirs, monkeypatch):
    link = f"https://open.spotify.com/playlist/{pro.ids['playlist_mixed']}"
    watchlist = watchlists.create_watchlist(link, actor="t")
    watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    item = WatchlistItem.objects.filter(watchlist=watchlist).order_by("position").first()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(watchlists, "write_text_atomically", full_disk)
    _finish(item.job, "Sigur Rós/Ágætis byrjun (1999)/01 Intro.flac")
    assert Job.objects.get(pk=item.job_id).state == JobState.DONE
    assert watchlists.refresh_playlists_for_job(item.job_id) == []


# --- API ----------------------------------------------------------------------------------------


def test_watchlist_api_crud_and_sync_now(spotify_env, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    operator, viewer = api_client("operator"), api_client("viewer")
    body = {"link": _artist_link(spotify_env), "release_types": ["album"], "since": "2000-01-01"}
    assert viewer.post("/api/v1/watchlists", body, format="json").status_code == 403
    created = operator.post("/api/v1/watchlists", body, format="json")
    assert created.status_code == 201, created.json()
    watchlist_id = created.json()["id"]
    assert created.json()["since"] == "2000-01-01"
    duplicate = operator.post("/api/v1/watchlists", body, format="json")
    assert duplicate.status_code == 400 and "link" in duplicate.json()["error"]["details"]
    bad = operator.post(
        "/api/v1/watchlists", {"link": "x", "release_types": ["mixtape"]}, format="json"
    )
    assert bad.status_code == 400 and "release_types" in bad.json()["error"]["details"]
    synced = operator.post(f"/api/v1/watchlists/{watchlist_id}/sync")
    assert synced.status_code == 202
    detail = viewer.get(f"/api/v1/watchlists/{watchlist_id}").json()
    assert detail["syncs"][0]["trigger"] == "manual" and detail["syncs"][0]["enqueued"] == 2
    patched = operator.patch(
        f"/api/v1/watchlists/{watchlist_id}", {"enabled": False}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    assert viewer.get("/api/v1/watchlists").json()["count"] == 1
    assert operator.delete(f"/api/v1/watchlists/{watchlist_id}").status_code == 204
    assert not Watchlist.objects.exists()


# --- End to end ---------------------------------------------------------------------------------


def test_a_watched_playlist_downloads_in_sync_mode_and_its_m3u8_follows(
    pro, hdm, settings, library_dirs, fake_slskd, audio_cache, tmp_path, monkeypatch
):
    """Spotify playlist → watchlist sync → jobs through the fake slskd → library → M3U8."""
    from downloads.jobs import queue
    from tests.downloads.conftest import World
    from tests.fakes.spotify_data import USER

    # Let the jobs run this time: django-q2 sync mode, every task inline.
    monkeypatch.setattr(queue, "_dispatch", REAL_DISPATCH)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    with pro.lock:
        catalogue = pro.catalogue
        artist = catalogue.add_artist("The Testers")
        album = catalogue.add_album(
            "Test Album", [artist], release_date="2001", precision="year",
            track_names=["Song Alpha", "Song Bravo"],
        )  # fmt: skip
        alpha, bravo = catalogue.albums[album]["_track_ids"]
        for track_id in (alpha, bravo):
            catalogue.tracks[track_id]["duration_ms"] = 2000  # as long as the fake's audio
        playlist = catalogue.add_playlist(
            "Road Trip",
            owner=USER,
            entries=[catalogue.track_entry(bravo), catalogue.track_entry(alpha)],
        )
    world = World(fake_slskd, audio_cache, tmp_path)
    world.offer("good_peer", 1)
    world.offer("good_peer", 2)
    watchlist = watchlists.create_watchlist(f"spotify:playlist:{playlist}", actor="t")
    sync = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    assert (sync.status, sync.enqueued) == (WatchlistSync.Status.OK, 2), sync.error
    jobs = Job.objects.filter(kind="watchlist")
    settle(*jobs)  # waits end through the dispatcher, not in a sleeping task
    assert sorted(jobs.values_list("state", flat=True)) == ["done", "done"]
    music = library_dirs[1]
    lines = (music / "playlists" / "Road Trip.m3u8").read_text().splitlines()
    paths = [line for line in lines if not line.startswith("#")]
    assert [Path(p).stem.split(" ", 1)[-1] for p in paths] == ["Song Bravo", "Song Alpha"]
    assert all((music / "playlists" / p).resolve().is_file() for p in paths)


def test_each_sync_counts_how_its_new_items_jobs_are_doing(pro, library_dirs, settings):
    from downloads import selectors

    link = f"spotify:playlist:{pro.ids['playlist_mixed']}"
    watchlist = watchlists.create_watchlist(link, actor="t")
    first = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    items = list(WatchlistItem.objects.filter(sync=first).order_by("position"))
    assert len(items) == first.new == 5
    Job.objects.filter(pk=items[0].job_id).update(state=JobState.DEAD, live_key=None)
    _finish(items[1].job, "Sigur Rós/Ágætis byrjun (1999)/02 Svefn-g-englar.flac")
    second = watchlists.sync_watchlist(watchlist.pk, trigger="manual", actor="t")
    outcomes = selectors.sync_outcomes([first.pk, second.pk])
    assert outcomes[first.pk] == {"done": 1, "queued": 3, "failed": 1}
    assert outcomes[second.pk] == {"done": 0, "queued": 0, "failed": 0}  # nothing new
    assert list(selectors.sync_items(second.pk)) == []
