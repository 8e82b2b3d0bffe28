"""Turn what a person or a watchlist asks for into jobs: a Spotify link, a release, a list.

Everything ends in HDM-core's `submit_wanted` (one job per track, idempotent) and
`submit_parent` (the album/playlist/artist request grouping its tracks). A parent that is
already live is returned as `already_enqueued` without reading Spotify again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from downloads import services
from downloads.models import Job, JobScope
from downloads.services import SubmitResult
from providers.spotify.links import SpotifyRef
from providers.types import TrackMeta

logger = logging.getLogger("hdm.submit")


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
            services.submit_wanted(
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
    reserved = services.submit_parent(
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
        result = services.submit_wanted(meta, **common)
        return Submission(result.status, result.job, [(meta, result)])
    live = services.live_job_for(f"{ref.kind}:{ref.uri}")
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
    *, artist: str, title: str, album: str = "", duration_ms: int | None = None
) -> TrackMeta:
    """A wanted track typed in by a person (no Spotify id: matched by text)."""
    artists = tuple(name.strip() for name in artist.split(";") if name.strip())
    return TrackMeta(
        title=title.strip(), artists=artists, album=album.strip(), duration_ms=duration_ms
    )
