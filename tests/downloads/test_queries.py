"""Search texts for a wanted track (matching.md section 2)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from downloads.matching.queries import build_queries
from providers.types import TrackMeta


def _meta(title, artist, album="", album_artist=""):
    return TrackMeta(title=title, artists=(artist,), album=album, album_artist=album_artist)


def test_first_query_keeps_diacritics_then_folds_them_then_adds_album_and_wildcard():
    queries = build_queries(_meta("Jóga (Live)", "Björk", "Homogenic"))
    assert queries == ["björk jóga", "bjork joga", "joga homogenic", "*jork joga"]


def test_plain_ascii_track_has_no_duplicate_queries():
    queries = build_queries(_meta("Karma Police", "Radiohead", "OK Computer"))
    assert queries == [
        "radiohead karma police",
        "karma police ok computer",
        "*adiohead karma police",
    ]


def test_featured_artists_punctuation_and_ampersand_are_removed():
    queries = build_queries(_meta("Levitating (feat. DaBaby)", "Simon & Garfunkel"))
    assert queries[0] == "simon garfunkel levitating"


def test_album_mode_adds_an_artist_album_query_using_the_album_artist():
    meta = _meta("Intro", "Guest", "Greatest Hits", album_artist="Queen")
    queries = build_queries(meta, album_mode=True)
    assert "queen greatest hits" in queries
    assert queries[0] == "queen intro"


def test_no_album_means_no_title_only_query():
    # "xx" is too short to wildcard; the fallback still drops the stop word.
    assert build_queries(_meta("Intro", "The xx")) == ["the xx intro", "xx intro"]


def test_one_character_terms_are_dropped_and_empty_queries_skipped():
    assert build_queries(_meta("i", "Kendrick Lamar", "To Pimp a Butterfly"))[0] == "kendrick lamar"
    assert build_queries(_meta("X", "U")) == []


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40), st.booleans())
def test_every_query_has_a_term_of_two_characters(title, artist, album, album_mode):
    for query in build_queries(_meta(title, artist, album), album_mode=album_mode):
        assert query == query.strip() and query
        assert any(len(term.lstrip("*")) >= 2 for term in query.split())
        assert all(len(term) >= 2 for term in query.split())
