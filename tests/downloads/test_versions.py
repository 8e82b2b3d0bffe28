"""Version markers: data, word boundaries, the wanted title's own words."""

from __future__ import annotations

import pytest

from downloads.matching.versions import (
    DEFAULT_MARKERS,
    build_marker_set,
    remove_phrase,
    split_title,
)
from library.normalise import normalise_text


def _versions(text: str) -> set[str]:
    return set(DEFAULT_MARKERS.find_versions(normalise_text(text)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Song (Live)", {"live"}),
        ("Song [Radio Edit]", {"radio edit"}),
        ("Song (Extended Club Mix)", {"extended", "club", "mix"}),
        ("Song (Sped Up)", {"sped up"}),
        ("Song (A Cappella)", {"a cappella"}),
        ("Song (Re-Recorded)", {"re recorded"}),
        ("Song (8D Audio)", {"8d"}),
        ("Song (Piano Version)", {"piano version"}),
        ("Song (Acoustic Version)", {"acoustic"}),
        ("Song (Taylor's Version)", {"taylor s version"}),
        ("Song (Single Version)", {"single version"}),
    ],
)
def test_markers_are_found_after_normalisation(text, expected):
    assert _versions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Mixtape",
        "Deluxe Edition",
        "BBC Sessions",  # plural of session is not listed: a folder name, not a version
        "Song (Album Version)",
        "Song (Original Version)",
        "Song (2011 Remastered Version)",
        "Song (Mono Version)",
        "Song (Original Mix)",
        "Song - 2009 Remaster",
        "Livestock",
        "Clubbed to Death",
    ],
)
def test_word_boundaries_and_neutral_versions_find_no_marker(text):
    assert _versions(text) == set()


def test_operators_can_add_marker_words_without_code():
    markers = build_marker_set(["Refix", "VIP"])
    assert markers.find_versions(normalise_text("Song (VIP)")) == {"vip"}
    assert markers.find_versions(normalise_text("Song (Ed Case Refix)")) == {"refix"}


def test_preferences_are_found_but_are_not_versions():
    text = normalise_text("Song (2011 Remastered) [Mono] Deluxe")
    assert DEFAULT_MARKERS.find_preferences(text) == {"2011", "remastered", "mono", "deluxe"}
    assert DEFAULT_MARKERS.find_versions(text) == frozenset()


@pytest.mark.parametrize(
    ("title", "base", "qualifiers"),
    [
        ("Live and Let Die", "Live and Let Die", ""),
        ("Bohemian Rhapsody - Live Aid", "Bohemian Rhapsody", "Live Aid"),
        ("Song (feat. X) [Radio Edit]", "Song", "feat. X Radio Edit"),
        ("(I Can't Get No) Satisfaction", "Satisfaction", "I Can't Get No"),
        ("(Untitled)", "(Untitled)", ""),
        ("Heroes - 2017 Remaster", "Heroes", "2017 Remaster"),
    ],
)
def test_split_title_separates_qualifiers(title, base, qualifiers):
    assert split_title(title) == (base, qualifiers)


def test_remove_phrase_removes_only_a_contiguous_whole_word_phrase():
    assert remove_phrase("wings over america live", "live and let die") == (
        "wings over america live"
    )
    assert remove_phrase("live and let die live", "live and let die") == "live"
    assert remove_phrase("olive", "live") == "olive"
    assert remove_phrase("abc", "") == "abc"
