"""Text and CSV lists become wanted tracks without Spotify; bad lines are reported, not dropped."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.spotify import lists
from providers.spotify.lists import (
    InvalidTrackList,
    parse_csv,
    parse_text_list,
    read_csv,
    read_text_list,
)


def test_text_list_reads_artist_title_lines():
    text = "\ufeffRadiohead - Karma Police\n\n# a comment\nSigur Rós – Hoppípolla\r\nA — B\n"
    tracks = parse_text_list(text)
    assert [(t.artists, t.title) for t in tracks] == [
        (("Radiohead",), "Karma Police"),
        (("Sigur Rós",), "Hoppípolla"),
        (("A",), "B"),
    ]


def test_text_list_keeps_dashes_inside_titles_and_strips_numbering():
    tracks = parse_text_list("01. The Beatles - Let It Be - Remastered 2009\n2) X - Y")
    assert tracks[0].artists == ("The Beatles",)
    assert tracks[0].title == "Let It Be - Remastered 2009"
    assert tracks[1].title == "Y"


def test_text_list_credits_featured_artists():
    tracks = parse_text_list("Daft Punk feat. Pharrell Williams - Get Lucky\nA - B (feat. C & D)")
    assert tracks[0].artists == ("Daft Punk", "Pharrell Williams")
    assert tracks[0].title == "Get Lucky"
    assert tracks[1].artists == ("A", "C", "D")
    assert tracks[1].title == "B (feat. C & D)"


def test_text_list_reports_bad_lines_with_numbers():
    parsed = read_text_list("A - B\nno separator here\n - missing artist\nC - D\n")
    assert [t.title for t in parsed.tracks] == ["B", "D"]
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (2, 'expected "Artist - Title"'),
        (3, 'expected "Artist - Title"'),
    ]
    with pytest.raises(InvalidTrackList, match="line 2") as info:
        parse_text_list("A - B\nno separator here\n")
    assert len(info.value.tracks) == 1 and info.value.problems[0].line == 2


def test_text_list_points_spotify_links_to_the_link_field():
    parsed = read_text_list("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC")
    assert "link field" in parsed.problems[0].reason


def test_text_list_refuses_oversized_input(monkeypatch):
    monkeypatch.setattr(lists, "MAX_ROWS", 3)
    with pytest.raises(InvalidTrackList, match="longer than 3"):
        read_text_list("A - B\n" * 4)
    parsed = read_text_list("A - " + "x" * 2000)
    assert "longer than" in parsed.problems[0].reason


@given(st.text(max_size=500))
def test_text_list_never_raises_on_any_text(text):
    parsed = read_text_list(text)
    assert all(t.title and t.artists for t in parsed.tracks)


EXPORTIFY = (
    '\ufeff"Track URI","Track Name","Artist URI(s)","Artist Name(s)","Album Name",'
    '"Album Artist Name(s)","Album Release Date","Disc Number","Track Number",'
    '"Track Duration (ms)","Explicit","ISRC"\n'
    '"spotify:track:4uLU6hMCjMI75M1A2tKUQC","Never Gonna Give You Up",'
    '"spotify:artist:0gxyHStUsqpMadRV0Di1Qt","Rick Astley","Whenever You Need Somebody",'
    '"Rick Astley","1987-11-12","1","1","213573","false","GBARL9300135"\n'
    '"spotify:track:0000000000000000000001","Duo","spotify:artist:a,spotify:artist:b",'
    '"Tyler, The Creator","Album","","1997","1","2","200000","true","us-abc-12-34567"\n'
    '"spotify:local:A:B:C:100","Local Song","","Some Artist","","","","","","","",""\n'
    '"","","","","","","","","","","",""\n'
    '"","No Artist","","","","","","","","","",""\n'
)


def test_csv_reads_exportify_columns_from_bytes():
    parsed = read_csv(io.BytesIO(EXPORTIFY.encode("utf-8")))
    first, second, local = parsed.tracks
    assert first.title == "Never Gonna Give You Up"
    assert first.artists == ("Rick Astley",)
    assert first.album == "Whenever You Need Somebody"
    assert first.album_artist == "Rick Astley"
    assert (first.release_date, first.release_date_precision) == ("1987-11-12", "day")
    assert (first.track_number, first.disc_number, first.duration_ms) == (1, 1, 213573)
    assert first.isrc == "GBARL9300135"
    assert first.spotify_track_id == "4uLU6hMCjMI75M1A2tKUQC"
    # Two artist URIs but "Tyler, The Creator" splits into two names: taken at face value.
    assert second.artists == ("Tyler", "The Creator")
    assert second.release_date_precision == "year" and second.explicit
    assert second.isrc == "USABC1234567"
    assert local.spotify_track_id == "" and local.title == "Local Song"
    assert [(p.line, p.reason) for p in parsed.problems] == [(6, "missing track name or artist")]


def test_csv_keeps_commas_in_a_single_artist_name():
    text = 'Track Name,Artist Name(s),Artist URI(s)\nSong,"Tyler, The Creator",spotify:artist:x\n'
    assert parse_csv(io.StringIO(text))[0].artists == ("Tyler, The Creator",)


def test_csv_splits_semicolon_artists_and_header_variants():
    text = "name;artists;duration_ms\n".replace(";", ",") + 'X,"A;B",3:25\n'
    track = parse_csv(io.StringIO(text))[0]
    assert track.artists == ("A", "B") and track.duration_ms == 205_000


def test_csv_decodes_cp1252_exports():
    data = "Track Name,Artist Name\nCaf\xe9,Bj\xf6rk\n".encode("cp1252")
    assert parse_csv(io.BytesIO(data))[0].artists == ("Björk",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty CSV"),
        (b"foo,bar\n1,2\n", "needs a track-name and an artist column"),
        (b"Track Name,Artist\n\x00\x00", "NUL"),
    ],
)
def test_csv_refuses_unreadable_files(data, message):
    with pytest.raises(InvalidTrackList, match=message):
        parse_csv(io.BytesIO(data))


def test_csv_reports_bad_numbers_by_line():
    text = "Track Name,Artist,Track Number,Duration (ms)\nA,B,x,1\nC,D,1,forever\nE,F,2,1000\n"
    parsed = read_csv(io.StringIO(text))
    assert [t.title for t in parsed.tracks] == ["E"]
    assert [p.line for p in parsed.problems] == [2, 3]
    assert "track number" in parsed.problems[0].reason


def test_csv_is_size_bounded(monkeypatch):
    monkeypatch.setattr(lists, "MAX_LIST_BYTES", 100)
    with pytest.raises(InvalidTrackList, match="larger than"):
        parse_csv(io.BytesIO(b"Track Name,Artist\n" + b"a,b\n" * 100))
