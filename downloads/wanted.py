"""Wanted items: TrackMeta <-> JSON for the job row, and the reservation key for one item."""

from __future__ import annotations

import dataclasses
from typing import Any

from library.normalise import normalise_text
from providers.types import Artwork, TrackMeta

_TUPLE_FIELDS = ("artists", "genres", "spotify_artist_ids")


def meta_to_dict(meta: TrackMeta) -> dict[str, Any]:
    """A JSON-able dict of every TrackMeta field (tuples become lists)."""
    return dataclasses.asdict(meta)


def meta_from_dict(data: dict[str, Any]) -> TrackMeta:
    """The inverse of `meta_to_dict`; unknown keys (from an older or newer Harmony) are dropped."""
    known = {f.name for f in dataclasses.fields(TrackMeta)}
    values = {key: value for key, value in data.items() if key in known}
    for name in _TUPLE_FIELDS:
        if name in values:
            values[name] = tuple(values[name] or ())
    values["artwork"] = tuple(Artwork(**art) for art in values.get("artwork") or ())
    return TrackMeta(**values)


def wanted_key(meta: TrackMeta) -> str:
    """The reservation key: Spotify id, else ISRC, else normalised artist|title|album."""
    if meta.spotify_track_id:
        return f"spotify:{meta.spotify_track_id}"
    if meta.isrc:
        return f"isrc:{meta.isrc.strip().upper()}"
    parts = (normalise_text(meta.artist), normalise_text(meta.title), normalise_text(meta.album))
    return "text:" + "|".join(parts)


def meta_label(meta: TrackMeta) -> str:
    """'Artist — Title' for lists and logs."""
    return f"{', '.join(meta.artists)} — {meta.title}" if meta.artists else meta.title
