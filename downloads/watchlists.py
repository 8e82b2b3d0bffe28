"""Watchlists: Spotify artists (new releases) and playlists (new items) Harmony keeps fetching.

A sync reads the artist's releases or the playlist's items, remembers every one it has seen
(`WatchlistItem`, so nothing is enqueued twice and a person's cancel sticks), submits the new
ones as `watchlist` jobs and records what it found in a `WatchlistSync` row. An artist
watchlist ignores releases before its `since` date, so watching an artist does not flood the
queue with the old catalogue. A watched playlist keeps an M3U8 file in playlist order under
PLAYLISTS_DIR, rewritten atomically after each sync and whenever one of its jobs is done.

The `hdm-watchlists` schedule (downloads/jobs/schedules.py) runs `sync_due_watchlists` every few
minutes; a watchlist is due WATCHLIST_SYNC_MINUTES after its last sync, and cools down for
WATCHLIST_COOLDOWN_MINUTES after WATCHLIST_FAILURE_LIMIT failed syncs in a row.
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from downloads.models import JobKind, Watchlist, WatchlistItem, WatchlistSync
from downloads.submit import submit_group, submit_tracks
from downloads.wanted import meta_from_dict, meta_to_dict, wanted_key
from harmony_site.files import write_text_atomically
from providers.errors import ProviderError
from providers.spotify.browse import my_user_id
from providers.spotify.client import FREE_PLAYLIST_HELP
from providers.spotify.links import InvalidSpotifyLink, parse_spotify_link
from providers.spotify.normalise import PlaylistInfo
from providers.types import TrackMeta

logger = logging.getLogger("hdm.watchlist")

DUE_BATCH = 50
_PERIOD_END = {4: "-12-31", 7: "-31"}  # "YYYY" and "YYYY-MM" dates end at their period's end


class WatchlistError(ValueError):
    """A watchlist request that cannot be honoured (wrong kind of link, already watched)."""


def knob(name: str) -> Any:
    """A Watchlists knob (settings.WATCHLISTS, so tests can override one)."""
    return settings.WATCHLISTS[name]


def spotify_client() -> Any:
    from providers.spotify.client import SpotifyClient

    return SpotifyClient.from_config()


# --- CRUD ---------------------------------------------------------------------------------------


def create_watchlist(
    link: str,
    *,
    actor: str,
    release_types: list[str] | None = None,
    since: date | None | str = "today",
    enabled: bool = True,
    write_m3u8: bool = True,
    sync_minutes: int | None = None,
    client: Any = None,
) -> Watchlist:
    """Watch a Spotify artist or playlist. `since` defaults to today: only future releases.

    A playlist Spotify will never let Harmony read (FREE mode, or someone else's playlist) is
    refused here with the reason, instead of failing every sync later.
    """
    try:
        ref = parse_spotify_link(link)
    except InvalidSpotifyLink as exc:
        raise WatchlistError(str(exc)) from None
    if ref.kind not in Watchlist.Kind.values:
        raise WatchlistError(f"Only artists and playlists can be watched, not a {ref.kind}.")
    client = client or spotify_client()
    if ref.kind == "artist":
        name = client.artist(ref.id).name
    else:
        playlist = client.playlist(ref.id)
        refuse_unreadable_playlist(playlist, client=client)
        name = playlist.name
    try:
        with transaction.atomic():  # a duplicate must not break the caller's transaction
            watchlist = Watchlist.objects.create(
                kind=ref.kind,
                spotify_id=ref.id,
                name=name[:300],
                release_types=list(release_types or knob("WATCHLIST_RELEASE_TYPES")),
                since=timezone.localdate() if since == "today" else since,
                enabled=enabled,
                write_m3u8=write_m3u8,
                sync_minutes=sync_minutes,
                actor=actor,
                next_sync_at=timezone.now(),
            )
    except IntegrityError:
        raise WatchlistError(f"This {ref.kind} is already watched.") from None
    logger.info("hdm.watchlist.created", extra={"watchlist_id": watchlist.pk, "actor": actor})
    return watchlist


def refuse_unreadable_playlist(playlist: PlaylistInfo, *, client: Any) -> None:
    """Raise WatchlistError when Spotify would refuse to list this playlist's tracks."""
    if client.mode != "pro":
        raise WatchlistError(FREE_PLAYLIST_HELP)
    if playlist.collaborative or playlist.owner_id == my_user_id(client):
        return
    raise WatchlistError(
        f"Spotify lets Harmony read only playlists you own or collaborate on, and "
        f"“{playlist.name}” belongs to {playlist.owner_name or playlist.owner_id}. Copy its "
        "tracks into a playlist of your own and follow that one, or download it once by "
        "pasting its tracks as a text list or an Exportify CSV."
    )


def sync_interval(watchlist: Watchlist) -> int:
    """Minutes between two syncs of this watchlist."""
    return watchlist.sync_minutes or knob("WATCHLIST_SYNC_MINUTES")


def update_watchlist(watchlist: Watchlist, *, actor: str, **changes: Any) -> Watchlist:
    """Change release types, since, enabled, write_m3u8 or sync_minutes (others are ignored)."""
    allowed = {"release_types", "since", "enabled", "write_m3u8", "sync_minutes"}
    for name, value in changes.items():
        if name in allowed:
            setattr(watchlist, name, value)
    watchlist.save()
    logger.info("hdm.watchlist.updated", extra={"watchlist_id": watchlist.pk, "actor": actor})
    return watchlist


def delete_watchlist(watchlist: Watchlist, *, actor: str) -> None:
    """Stop watching; jobs already enqueued carry on, the M3U8 file is left in place."""
    logger.info("hdm.watchlist.deleted", extra={"watchlist_id": watchlist.pk, "actor": actor})
    watchlist.delete()


# --- Syncing ------------------------------------------------------------------------------------


def sync_due_watchlists(*, now: datetime | None = None) -> list[int]:
    """The schedule's entry: sync every enabled watchlist whose time has come."""
    now = now or timezone.now()
    due = Watchlist.objects.filter(enabled=True).filter(
        Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)
    )
    synced = []
    for watchlist_id in due.order_by("next_sync_at").values_list("pk", flat=True)[:DUE_BATCH]:
        if _claim_due(watchlist_id, now=now):
            sync_watchlist(watchlist_id, trigger="schedule", actor="system")
            synced.append(watchlist_id)
    return synced


def _claim_due(watchlist_id: int, *, now: datetime) -> bool:
    """Push the next sync out before running it, so two schedulers never sync one list twice."""
    # The lease is the shortest interval: a crashed sync is retried no later than usual.
    lease = now + timedelta(minutes=knob("WATCHLIST_SYNC_MINUTES"))
    due = Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)
    return bool(Watchlist.objects.filter(due, pk=watchlist_id).update(next_sync_at=lease))


def enqueue_sync(watchlist_id: int, *, actor: str) -> None:
    """Sync one watchlist in the task cluster once the surrounding transaction commits."""
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "downloads.watchlists.sync_watchlist",
            watchlist_id,
            trigger="manual",
            actor=actor,
            group="watchlist",
        )
    )


def sync_watchlist(
    watchlist_id: int, *, trigger: str, actor: str, client: Any = None
) -> WatchlistSync:
    """Read the watched artist or playlist, enqueue what is new, record the sync."""
    watchlist = Watchlist.objects.get(pk=watchlist_id)
    sync = WatchlistSync.objects.create(watchlist=watchlist, trigger=trigger, actor=actor)
    try:
        client = client or spotify_client()
        if watchlist.kind == Watchlist.Kind.ARTIST:
            _sync_artist(watchlist, sync, client)
        else:
            _sync_playlist(watchlist, sync, client)
    except ProviderError as exc:
        _finish_failed(watchlist, sync, exc.message)  # a sentence for people, not a traceback
        return sync
    except Exception as exc:  # recorded, so one broken list never stops the others' syncs
        logger.exception("hdm.watchlist.sync_crashed", extra={"watchlist_id": watchlist.pk})
        _finish_failed(watchlist, sync, f"internal error: {type(exc).__name__}: {exc}")
        return sync
    _finish_ok(watchlist, sync)
    if watchlist.kind == Watchlist.Kind.PLAYLIST and watchlist.write_m3u8:
        write_m3u8(watchlist)
    return sync


def _finish_ok(watchlist: Watchlist, sync: WatchlistSync) -> None:
    now = timezone.now()
    sync.status, sync.finished_at = WatchlistSync.Status.OK, now
    sync.save()
    Watchlist.objects.filter(pk=watchlist.pk).update(
        last_synced_at=now,
        next_sync_at=now + timedelta(minutes=sync_interval(watchlist)),
        consecutive_failures=0,
        last_error="",
        snapshot_id=watchlist.snapshot_id,
        name=watchlist.name,
    )
    logger.info(
        "hdm.watchlist.synced",
        extra={
            "watchlist_id": watchlist.pk,
            "sync_id": sync.pk,
            "found": sync.found,
            "new": sync.new,
            "enqueued": sync.enqueued,
        },
    )


def _finish_failed(watchlist: Watchlist, sync: WatchlistSync, error: str) -> None:
    """Retry at the normal interval; after repeated failures, cool down for longer."""
    now = timezone.now()
    failures = watchlist.consecutive_failures + 1
    cooling = failures >= knob("WATCHLIST_FAILURE_LIMIT")
    wait = knob("WATCHLIST_COOLDOWN_MINUTES") if cooling else sync_interval(watchlist)
    sync.status, sync.finished_at, sync.error = WatchlistSync.Status.FAILED, now, error[:2000]
    sync.save()
    Watchlist.objects.filter(pk=watchlist.pk).update(
        consecutive_failures=failures,
        last_error=error[:2000],
        next_sync_at=now + timedelta(minutes=wait),
    )
    logger.warning(
        "hdm.watchlist.sync_failed",
        extra={"watchlist_id": watchlist.pk, "failures": failures, "cooling_down": cooling},
    )


def _sync_artist(watchlist: Watchlist, sync: WatchlistSync, client: Any) -> None:
    groups = tuple(watchlist.release_types or knob("WATCHLIST_RELEASE_TYPES"))
    releases = client.artist_albums(watchlist.spotify_id, include_groups=groups)
    sync.found = len(releases)
    enqueued_releases, too_old = [], 0
    for album in sorted(releases, key=lambda a: a.release_date):
        if not released_since(album.release_date, watchlist.since):
            too_old += 1
            continue
        item, created = WatchlistItem.objects.get_or_create(
            watchlist=watchlist,
            key=f"album:{album.id}",
            defaults={"label": album.name[:600], "sync": sync},
        )
        if not created:
            continue
        sync.new += 1
        tracks = _tracks_crediting(client.album_tracks(album.id), watchlist.spotify_id)
        submission = submit_group(
            tracks,
            scope="album",
            ref=f"spotify:album:{album.id}",
            label=f"{', '.join(album.artists)} — {album.name}",
            kind=JobKind.WATCHLIST,
            actor=f"watchlist:{watchlist.pk}",
        )
        WatchlistItem.objects.filter(pk=item.pk).update(job=submission.job)
        _add_counts(sync, submission.counts())
        enqueued_releases.append({"album_id": album.id, "name": album.name, "tracks": len(tracks)})
    sync.details = {"releases": enqueued_releases, "before_since": too_old}


def released_since(release_date: str, since: date | None) -> bool:
    """True when a release dated "YYYY", "YYYY-MM" or "YYYY-MM-DD" may be on/after `since`.

    A year- or month-precise date counts from the end of its period, so a release known only as
    "2026" is not missed by a watchlist started in March 2026.
    """
    if since is None:
        return True
    if not release_date:
        return True  # undated: better one unwanted download than a missed release
    # "2026-02-31" is no date, but it compares correctly as text, which is all this needs.
    return release_date + _PERIOD_END.get(len(release_date), "") >= since.isoformat()


def _tracks_crediting(tracks: list[TrackMeta], artist_id: str) -> list[TrackMeta]:
    """On compilations and appears-on releases only the watched artist's tracks are wanted."""
    credited = [t for t in tracks if artist_id in t.spotify_artist_ids]
    return credited or tracks


def _sync_playlist(watchlist: Watchlist, sync: WatchlistSync, client: Any) -> None:
    read = client.playlist_items(watchlist.spotify_id)
    watchlist.name, watchlist.snapshot_id = read.playlist.name[:300], read.playlist.snapshot_id
    sync.found = len(read.tracks)
    seen = {item.key: item for item in watchlist.items.all()}
    positions: dict[int, int] = {}
    new_items: list[tuple[TrackMeta, WatchlistItem]] = []
    for position, meta in enumerate(read.tracks):
        key = wanted_key(meta)
        item = seen.get(key)
        if item is None:
            item = WatchlistItem.objects.create(
                watchlist=watchlist,
                key=key,
                label=meta.title[:600],
                wanted=meta_to_dict(meta),
                sync=sync,
            )
            seen[key] = item
            new_items.append((meta, item))
        positions[item.pk] = position
    _store_positions(watchlist, positions)
    sync.new = len(new_items)
    results = submit_tracks(
        [meta for meta, _item in new_items],
        kind=JobKind.WATCHLIST,
        actor=f"watchlist:{watchlist.pk}",
    )
    for (_meta, item), (_same, result) in zip(new_items, results, strict=True):
        WatchlistItem.objects.filter(pk=item.pk).update(
            job=result.job, library_file=result.library_file
        )
        _add_counts(sync, {result.status: 1})
    sync.details = {"snapshot_id": read.playlist.snapshot_id, "skipped": len(read.skipped)}


def _store_positions(watchlist: Watchlist, positions: dict[int, int]) -> None:
    """Items still in the playlist get their position; removed ones drop out of the M3U8."""
    with transaction.atomic():
        watchlist.items.exclude(pk__in=positions).update(position=None)
        for item_id, position in positions.items():
            WatchlistItem.objects.filter(pk=item_id).exclude(position=position).update(
                position=position
            )


def _add_counts(sync: WatchlistSync, counts: dict[str, int]) -> None:
    sync.enqueued += counts.get("enqueued", 0)
    sync.already_enqueued += counts.get("already_enqueued", 0)
    sync.owned += counts.get("owned", 0)


# --- M3U8 ---------------------------------------------------------------------------------------


def playlists_dir() -> Path:
    configured = Path(knob("PLAYLISTS_DIR"))
    return configured if configured.is_absolute() else Path(settings.MUSIC_DIR) / configured


def m3u8_path(watchlist: Watchlist) -> Path:
    from library.naming import sanitize_component

    name = sanitize_component(f"{watchlist.name or watchlist.spotify_id}.m3u8", keep_suffix=True)
    return playlists_dir() / name


def m3u8_lines(watchlist: Watchlist, *, folder: Path) -> list[str]:
    """#EXTM3U with one entry per playlist track that is in the library, in playlist order.

    Paths are relative to the playlist file, so the library can be mounted anywhere (media
    servers resolve them against the playlist's own folder).
    """
    music = Path(settings.MUSIC_DIR)
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(watchlist.name)}"]
    items = watchlist.items.filter(position__isnull=False).select_related(
        "job__library_file", "library_file"
    )
    for item in items.order_by("position", "id"):
        library_file = _library_file_of(item)
        if library_file is None:
            continue
        meta = meta_from_dict(item.wanted) if item.wanted else None
        seconds = round(library_file.duration_s or 0) or -1
        title = f"{', '.join(meta.artists)} - {meta.title}" if meta else item.label
        target = music / PurePosixPath(library_file.path)
        lines.append(f"#EXTINF:{seconds},{_one_line(title)}")
        lines.append(Path(os.path.relpath(target, folder)).as_posix())
    return lines


def _library_file_of(item: WatchlistItem) -> Any:
    from library.models import LibraryFile

    present = LibraryFile.State.PRESENT
    job_file = item.job.library_file if item.job_id and item.job else None
    if job_file is not None and job_file.state == present:
        return job_file
    if item.library_file is not None and item.library_file.state == present:
        return item.library_file
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write_m3u8(watchlist: Watchlist) -> Path:
    """Rewrite the playlist file atomically, so a media server never reads half of it."""
    target = m3u8_path(watchlist)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(m3u8_lines(watchlist, folder=target.parent)) + "\n"
    write_text_atomically(target, body)
    logger.info(
        "hdm.watchlist.m3u8_written", extra={"watchlist_id": watchlist.pk, "path": str(target)}
    )
    return target


def refresh_playlists_for_job(job_id: int) -> list[Path]:
    """A job is done: rewrite the M3U8 of every watched playlist that wanted it."""
    watchlists = Watchlist.objects.filter(
        kind=Watchlist.Kind.PLAYLIST, write_m3u8=True, items__job_id=job_id
    ).distinct()
    written = []
    for watchlist in watchlists:
        try:
            written.append(write_m3u8(watchlist))
        except OSError as exc:  # a full disk must not fail the job that just finished
            logger.warning(
                "hdm.watchlist.m3u8_failed",
                extra={"watchlist_id": watchlist.pk, "job_id": job_id, "error": str(exc)},
            )
    return written
