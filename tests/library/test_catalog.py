"""catalog.upsert_track picks the same row from dedupe's candidates as from its own lookup."""

from __future__ import annotations

from dataclasses import replace

import pytest

from library import catalog
from library.dedupe import recording_candidates
from providers.types import TrackMeta

pytestmark = pytest.mark.django_db

BASE = TrackMeta(
    title="Song",
    artists=("Artist",),
    album="Album",
    album_artist="Artist",
    isrc="GBAAA0000001",
    spotify_track_id="sp1",
    duration_ms=1000,
)
VARIANTS = {
    "same": BASE,
    "other album": replace(BASE, album="Other Album", spotify_track_id=""),
    "other album, same spotify id": replace(BASE, album="Other Album"),
    "no ids": replace(BASE, isrc="", spotify_track_id=""),
    "isrc only": replace(BASE, title="Renamed", spotify_track_id=""),
    "other spotify id": replace(BASE, spotify_track_id="sp2"),
    "no album": replace(BASE, album="", spotify_track_id=""),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_candidates_pick_the_row_the_lookup_finds(name):
    for meta in (BASE, VARIANTS["other album"], VARIANTS["no album"]):
        catalog.upsert_track(meta)
    meta = VARIANTS[name]
    artist = catalog.upsert_artist(meta.artist)
    album = catalog.upsert_album(meta, artist=artist)
    fields = catalog.track_fields(meta)
    candidates = recording_candidates(meta)

    assert catalog._covers(candidates, meta, fields)
    picked = catalog._pick_track(meta, fields, album, candidates)
    assert picked == catalog._find_track(meta, fields, album)
    assert catalog.upsert_track(meta, candidates=candidates) == catalog.upsert_track(meta)
