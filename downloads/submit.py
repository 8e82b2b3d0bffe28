"""The one place a request becomes jobs: a Spotify link, a release, a list, a typed track.

API, UI, CLI and watchlists all end in `submit_wanted` (one job per track, idempotent: the
live reservation key makes a concurrent twin fail) and `submit_parent` (the
album/playlist/artist request grouping its tracks). A parent that is already live is returned
as `already_enqueued` without reading Spotify again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import IntegrityError, transaction

from downloads.jobs.conf import knob
from downloads.jobs.queue import enqueue_job
from downloads.jobs.state import record_event
from downloads.models import Job, JobKind, JobScope, JobState
from downloads.wanted import meta_label, meta_to_dict, wanted_key
from providers.spotify.links import SpotifyRef
from providers.types import TrackMeta

logger = logging.getLogger("hdm.submit")
job_log = logging.getLogger("hdm.job")

_PRIORITY_KNOBS = {
    JobKind.MANUAL: "HDM_PRIORITY_MANUAL",
    JobKind.WATCHLIST: "HDM_PRIORITY_WATCHLIST",
    JobKind.BACKFILL: "HDM_PRIORITY_BACKFILL",
}


@dataclass(frozen=True)
class SubmitResult:
    """`job` is None only for "owned" (then `library_file` is the copy that satisfied it)."""

    job: Job | None
    status: Literal["enqueued", "already_enqueued", "owned"]
    library_file: Any = None


def default_priority(kind: str) -> int:
    return knob(_PRIORITY_KNOBS[JobKind(kind)])


def live_job_for(key: str) -> Job | None:
    return Job.objects.filter(live_key=key).first()


def submit_wanted(
    meta: TrackMeta,
    *,
    kind: str,
    actor: str,
    priority: int | None = None,
    force: bool = False,
    parent: Job | None = None,
) -> SubmitResult:
    """Ask for one track. Idempotent: a live job for the same item is returned, not duplicated.

    Owned at acceptable quality (and not `force`) → "owned", without a job or a search.
    """
    key = wanted_key(meta)
    existing = live_job_for(key)
    if existing is not None:
        return SubmitResult(existing, "already_enqueued")
    if not force:
        owned = _find_owned(meta)
        if owned is not None:
            job_log.info("hdm.dedupe.skipped", extra={"wanted_key": key, "file_id": owned.pk})
            return SubmitResult(None, "owned", owned)
    fields = {
        "wanted": meta_to_dict(meta),
        "label": meta_label(meta)[:600],
        "source_ref": meta.spotify_track_id and f"spotify:track:{meta.spotify_track_id}",
    }
    return _reserve(
        key,
        kind=kind,
        actor=actor,
        priority=priority,
        force=force,
        parent=parent,
        scope=JobScope.TRACK,
        fields=fields,
    )


def _find_owned(meta: TrackMeta) -> Any:
    from library import dedupe, quality

    return dedupe.find_owned(meta, profile=quality.QualityProfile.from_config())


def _reserve(
    key: str,
    *,
    kind: str,
    actor: str,
    priority: int | None,
    force: bool,
    parent: Job | None,
    scope: str,
    fields: dict[str, Any],
) -> SubmitResult:
    """Insert the job holding the live reservation; a concurrent twin makes the insert fail."""
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                scope=scope,
                priority=default_priority(kind) if priority is None else priority,
                parent=parent,
                wanted_key=key,
                live_key=key,
                force=force,
                actor=actor,
                **fields,
            )
            record_event(job.pk, from_state="", to_state=job.state, reason="submitted")
            if scope in (JobScope.TRACK, JobScope.ALBUM):  # an album searches for a folder
                enqueue_job(job.pk)
    except IntegrityError:
        existing = live_job_for(key)
        if existing is None:
            raise  # not the reservation: a real integrity problem
        return SubmitResult(existing, "already_enqueued")
    job_log.info("hdm.match.enqueued", extra={"job_id": job.pk, "wanted_key": key, "kind": kind})
    return SubmitResult(job, "enqueued")


def submit_parent(
    *, scope: str, ref: str, label: str, kind: str, actor: str, priority: int | None = None
) -> SubmitResult:
    """Reserve the parent job of an album/playlist/artist request.

    An album's parent first searches for one peer's complete folder (`downloads/stages/album.py`);
    the other parents run no stage and wait in `downloading` for their children.
    """
    state = JobState.QUEUED if scope == JobScope.ALBUM else JobState.DOWNLOADING
    return _reserve(
        f"{scope}:{ref}",
        kind=kind,
        actor=actor,
        priority=priority,
        force=False,
        parent=None,
        scope=scope,
        fields={"label": label[:600], "source_ref": ref, "state": state},
    )


@dataclass(frozen=True)
class LinkResult:
    """A submitted link: the parent job (None for a single track) and each track's result."""

    parent: SubmitResult | None
    tracks: list[SubmitResult]


def submit_link(text: str, *, kind: str, actor: str, priority: int | None = None) -> LinkResult:
    """Submit a Spotify track, album, playlist or artist link (or URI).

    A track becomes one job; an album/playlist/artist becomes a parent job holding one child
    per track, each child reserved and owned-checked like any single submission. Raises
    `InvalidSpotifyLink` for text that is not a Spotify link.
    """
    from downloads.clients import spotify_client
    from providers.spotify.links import local_track_meta, parse_spotify_link

    ref = parse_spotify_link(text)
    if ref.kind == "local":
        return LinkResult(None, [_submit_one(local_track_meta(ref), kind, actor, priority)])
    client = spotify_client()
    if ref.kind == "track":
        return LinkResult(None, [_submit_one(client.track(ref.id), kind, actor, priority)])
    label, metas = _expand(client, ref)
    parent = submit_parent(
        scope=ref.kind, ref=ref.uri, label=label, kind=kind, actor=actor, priority=priority
    )
    if parent.status == "already_enqueued":
        return LinkResult(parent, [])
    children = [
        submit_wanted(meta, kind=kind, actor=actor, priority=priority, parent=parent.job)
        for meta in metas
    ]
    return LinkResult(parent, children)


def _submit_one(meta: TrackMeta, kind: str, actor: str, priority: int | None) -> SubmitResult:
    return submit_wanted(meta, kind=kind, actor=actor, priority=priority)


def _expand(client: Any, ref: Any) -> tuple[str, list[TrackMeta]]:
    """The request's name and its tracks, in order."""
    if ref.kind == "album":
        return client.album(ref.id).name, client.album_tracks(ref.id)
    if ref.kind == "playlist":
        return client.playlist(ref.id).name, client.playlist_tracks(ref.id)
    albums = client.artist_albums(ref.id)
    metas = [meta for album in albums for meta in client.album_tracks(album.id)]
    name = metas[0].artist if metas else ref.id
    return name, metas


@dataclass
class Submission:
    """The outcome of one request: its job (the parent of a release/playlist/artist, or the
    track's own) and the result for every track."""

    status: str  # enqueued | already_enqueued | owned (of that job)
    job: Job | None = None
    items: list[tuple[TrackMeta, SubmitResult]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        totals = {"enqueued": 0, "already_enqueued": 0, "owned": 0}
        for _meta, result in self.items:
            totals[result.status] += 1
        return totals

    def summary(self) -> str:
        """One sentence for a person (the Spotify page, `harmony_pick`)."""
        if not self.items:  # a live request for the same release was found first
            return {"owned": "Already in the library.", "already_enqueued": "Already queued."}.get(
                self.status, "Queued."
            )
        counts = self.counts()
        return (
            f"Queued {counts['enqueued']}, already queued {counts['already_enqueued']}, "
            f"already owned {counts['owned']}."
        )

    @property
    def created_anything(self) -> bool:
        return self.status == "enqueued" or self.counts()["enqueued"] > 0


def submit_tracks(
    metas: Iterable[TrackMeta],
    *,
    kind: str,
    actor: str,
    force: bool = False,
    priority: int | None = None,
    parent: Job | None = None,
) -> list[tuple[TrackMeta, SubmitResult]]:
    """`submit_wanted` for each track, in order (duplicates in the input are harmless)."""
    return [
        (
            meta,
            submit_wanted(
                meta, kind=kind, actor=actor, force=force, priority=priority, parent=parent
            ),
        )
        for meta in metas
    ]


def submit_group(
    metas: list[TrackMeta],
    *,
    scope: str,
    ref: str,
    label: str,
    kind: str,
    actor: str,
    force: bool = False,
    priority: int | None = None,
) -> Submission:
    """A parent job for the group plus its tracks; a live parent is returned untouched."""
    reserved = submit_parent(
        scope=scope, ref=ref, label=label, kind=kind, actor=actor, priority=priority
    )
    if reserved.status == "already_enqueued":
        return Submission("already_enqueued", reserved.job)
    items = submit_tracks(
        metas, kind=kind, actor=actor, force=force, priority=priority, parent=reserved.job
    )
    logger.info(
        "hdm.submit.group",
        extra={"job_id": reserved.job.pk, "scope": scope, "ref": ref, "tracks": len(items)},
    )
    return Submission("enqueued", reserved.job, items)


def submit_spotify_ref(
    ref: SpotifyRef,
    *,
    kind: str,
    actor: str,
    force: bool = False,
    priority: int | None = None,
    client: Any = None,
) -> Submission:
    """Resolve a Spotify link through the client and submit what it stands for."""
    from providers.spotify.client import SpotifyClient

    client = client or SpotifyClient.from_config()
    common: dict[str, Any] = {"kind": kind, "actor": actor, "force": force, "priority": priority}
    if ref.kind in ("track", "local"):
        meta = client.resolve(ref)[0]
        result = submit_wanted(meta, **common)
        return Submission(result.status, result.job, [(meta, result)])
    live = live_job_for(f"{ref.kind}:{ref.uri}")
    if live is not None:
        # A live request for the same release: no need to read Spotify at all.
        return Submission("already_enqueued", live)
    label, metas = _group_of(client, ref)
    return submit_group(metas, scope=ref.kind, ref=ref.uri, label=label, **common)


def _group_of(client: Any, ref: SpotifyRef) -> tuple[str, list[TrackMeta]]:
    if ref.kind == JobScope.ALBUM:
        album = client.album(ref.id)
        return f"{', '.join(album.artists)} — {album.name}", client.album_tracks(ref.id)
    if ref.kind == JobScope.PLAYLIST:
        read = client.playlist_items(ref.id)
        return f"Playlist {read.playlist.name}", read.tracks
    artist = client.artist(ref.id)
    return f"{artist.name} (discography)", client.resolve(ref)


def track_from_fields(
    *,
    artist: str,
    title: str,
    album: str = "",
    duration_ms: int | None = None,
    isrc: str = "",
    year: int | None = None,
    track_number: int | None = None,
) -> TrackMeta:
    """A wanted track typed in by a person (no Spotify id: matched by text; an ISRC keys the
    job and the owned-check)."""
    artists = tuple(name.strip() for name in artist.split(";") if name.strip())
    return TrackMeta(
        title=title.strip(),
        artists=artists,
        album=album.strip(),
        duration_ms=duration_ms,
        isrc=isrc.strip().upper(),
        release_date=str(year) if year else "",
        release_date_precision="year" if year else "",
        track_number=track_number,
    )
