"""find_owned and the shared text normalisation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from library.dedupe import find_owned
from library.normalise import normalise_text
from library.quality import QualityProfile
from providers.types import TrackMeta
from tests.factories import LibraryFileFactory, TrackFactory

WANTED = TrackMeta(title="Song", artists=("Artist",), album="Album", duration_ms=200_000)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Beyoncé — Déjà Vu (feat. JAY-Z)", "beyonce deja vu"),
        ("Sigur Rós", "sigur ros"),
        ("Mø ft. Diplo", "mo"),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("  Don't   Stop  [feat. X] ", "don t stop"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_normalise_text_folds_case_diacritics_punctuation_and_features(raw, expected):
    assert normalise_text(raw) == expected


@pytest.mark.django_db
class TestFindOwned:
    def _own(self, *, fmt="flac", bitrate=None, **track):
        defaults = {
            "title": "Song",
            "album__title": "Album",
            "artist__name": "Artist",
            "duration_ms": 200_000,
        }
        track_row = TrackFactory(**{**defaults, **track})
        track_row.album_key = normalise_text(track_row.album.title)
        track_row.save()
        return LibraryFileFactory(track=track_row, format=fmt, codec=fmt, bitrate_kbps=bitrate)

    def test_owned_by_spotify_id(self):
        owned = self._own(spotify_id="sp1", title="Other name")
        assert (
            find_owned(replace(WANTED, spotify_track_id="sp1"), profile=QualityProfile()) == owned
        )

    def test_owned_by_isrc(self):
        owned = self._own(isrc="GBAYE9700101", title="Other name")
        assert find_owned(replace(WANTED, isrc="gbaye9700101"), profile=QualityProfile()) == owned

    def test_owned_by_normalised_names_within_duration_tolerance(self):
        owned = self._own(title="SONG (feat. Someone)", duration_ms=201_000)
        assert find_owned(WANTED, profile=QualityProfile()) == owned

    def test_not_owned_when_duration_differs(self):
        self._own(duration_ms=260_000)
        assert find_owned(WANTED, profile=QualityProfile()) is None

    def test_not_owned_when_album_differs(self):
        self._own(album__title="Live at Wembley")
        assert find_owned(WANTED, profile=QualityProfile()) is None

    def test_copy_below_the_profile_does_not_count(self):
        self._own(fmt="mp3", bitrate=128)
        assert find_owned(WANTED, profile=QualityProfile(min_bitrate=256)) is None

    def test_missing_file_does_not_count(self):
        owned = self._own()
        owned.state = "missing"
        owned.save()
        assert find_owned(WANTED, profile=QualityProfile()) is None
