"""Do we already own this recording, and is a new copy worth keeping?

Two checks share one lookup (`find_recording_files`): before a download is requested
(`find_owned`, so no search is spent on a track the library holds at acceptable quality) and
before a downloaded or imported file is promoted (`decide_promotion`, which runs before the final
rename so nothing lands in MUSIC_DIR only to be removed). A recording is the same when the
Spotify track id matches, else the ISRC, else the normalised primary artist + title (+ album when
both sides know it) with durations within `DEDUPE_DURATION_TOLERANCE_S`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from django.db.models import Q

from harmony_site.config import knob
from library import quality
from library.models import LibraryFile, Track
from library.normalise import normalise_text
from providers.types import TrackMeta

logger = logging.getLogger("hdm.dedupe")

Action = Literal["new", "skip", "upgrade"]


CANDIDATE_LIMIT = 50  # rows one lookup fetches; a full page means "there may be more"


@dataclass(frozen=True)
class DedupeDecision:
    """What to do with a new file: keep it (`new`), drop it (`skip`) or replace `existing`.

    `candidates` are the Track rows the lookup fetched (every track sharing the Spotify id,
    ISRC or name keys), so the catalog can find the row to link without querying again.
    """

    action: Action
    existing: LibraryFile | None = None
    reason: str = ""  # same_file | same_recording_not_better | better_quality
    candidates: tuple[Track, ...] | None = None  # None: not looked up


def _tolerance_ms() -> float:
    return knob("DEDUPE_DURATION_TOLERANCE_S") * 1000


def _name_keys(meta: TrackMeta) -> tuple[str, str, str]:
    # Cut as the stored keys are (catalog.track_fields), so a very long name still matches.
    return (
        normalise_text(meta.artist)[:512],
        normalise_text(meta.title)[:512],
        normalise_text(meta.album)[:512],
    )


def _same_name(track: Track, meta: TrackMeta) -> bool:
    artist_key, title_key, album_key = _name_keys(meta)
    if not artist_key or not title_key:
        return False
    # A track we hold without an album name still counts; a different album does not (the
    # same song on a single and on its album are different releases to a collector).
    album_ok = not album_key or track.album_key in (album_key, "")
    if track.duration_ms is None or meta.duration_ms is None:
        duration_ok = True
    else:
        duration_ok = abs(track.duration_ms - meta.duration_ms) <= _tolerance_ms()
    return (
        (track.artist_key, track.title_key) == (artist_key, title_key) and album_ok and duration_ok
    )


def recording_candidates(meta: TrackMeta) -> list[Track]:
    """Every track sharing `meta`'s Spotify id, ISRC or name keys (one query, by id, capped)."""
    artist_key, title_key, _ = _name_keys(meta)
    conditions = Q(artist_key=artist_key, title_key=title_key) if artist_key and title_key else Q()
    if meta.spotify_track_id:
        conditions |= Q(spotify_id=meta.spotify_track_id)
    if meta.isrc:
        conditions |= Q(isrc=meta.isrc.upper())
    if not conditions:
        return []
    return list(Track.objects.filter(conditions).order_by("pk")[:CANDIDATE_LIMIT])


def find_same_recording(meta: TrackMeta, candidates: list[Track] | None = None) -> list[Track]:
    """Tracks that are the same recording as `meta`, strongest identifier first.

    One query fetches every candidate (by Spotify id, ISRC or name keys); the priority is
    applied here, so an ISRC match never hides behind a name match and vice versa.
    """
    if candidates is None:
        candidates = recording_candidates(meta)
    tests = (
        lambda t: bool(meta.spotify_track_id) and t.spotify_id == meta.spotify_track_id,
        lambda t: bool(meta.isrc) and t.isrc == meta.isrc.upper(),
        lambda t: _same_name(t, meta),
    )
    for test in tests:
        found = [track for track in candidates if test(track)]
        if found:
            return found
    return []


def find_recording_files(
    meta: TrackMeta, candidates: list[Track] | None = None
) -> list[LibraryFile]:
    """Present library files of the same recording as `meta`."""
    tracks = find_same_recording(meta, candidates)
    if not tracks:
        return []
    return list(
        LibraryFile.objects.filter(track__in=tracks, state=LibraryFile.State.PRESENT).order_by("pk")
    )


def best_file(files: list[LibraryFile], *, profile: quality.QualityProfile) -> LibraryFile | None:
    """The highest-quality file of a list under the profile (first one on ties)."""
    best: LibraryFile | None = None
    for candidate in files:
        if best is None or quality.is_better(candidate, best, profile=profile):
            best = candidate
    return best


def find_owned(meta: TrackMeta, *, profile: quality.QualityProfile) -> LibraryFile | None:
    """The library file that makes downloading `meta` unnecessary, or None.

    Owned means a present file of the same recording that meets the quality profile; a copy
    below the profile does not count, so the download goes ahead and upgrades it on promotion.
    """
    owned = best_file(find_recording_files(meta), profile=profile)
    if owned is None or not quality.meets_profile(owned, profile=profile):
        return None
    logger.info(
        "hdm.dedupe.skipped",
        extra={
            "stage": "pre_download",
            "file_id": owned.pk,
            "track_id": owned.track_id,
            "spotify_id": meta.spotify_track_id,
        },
    )
    return owned


def decide_promotion(
    meta: TrackMeta,
    info: quality.AudioLike,
    *,
    content_hash: str,
    profile: quality.QualityProfile,
) -> DedupeDecision:
    """Skip, upgrade or keep a verified, tagged file before it is moved into MUSIC_DIR."""
    same_bytes = LibraryFile.objects.filter(
        content_hash=content_hash, state=LibraryFile.State.PRESENT
    ).first()
    if same_bytes is not None:
        return DedupeDecision("skip", same_bytes, "same_file")
    candidates = recording_candidates(meta)
    existing = best_file(find_recording_files(meta, candidates), profile=profile)
    found = tuple(candidates)
    if existing is None:
        return DedupeDecision("new", candidates=found)
    if quality.is_better(info, existing, profile=profile):
        return DedupeDecision("upgrade", existing, "better_quality", candidates=found)
    return DedupeDecision("skip", existing, "same_recording_not_better", candidates=found)
