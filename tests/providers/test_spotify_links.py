"""Every pasted form of a Spotify link, URI or id — and garbage refused clearly."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.spotify.links import (
    InvalidSpotifyLink,
    SpotifyRef,
    local_track_meta,
    parse_spotify_link,
)

ID = "4uLU6hMCjMI75M1A2tKUQC"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"https://open.spotify.com/track/{ID}", "track"),
        (f"https://open.spotify.com/track/{ID}?si=abc123def", "track"),
        (f"https://open.spotify.com/album/{ID}/", "album"),
        (f"https://open.spotify.com/artist/{ID}?si=x&utm_source=copy-link", "artist"),
        (f"https://open.spotify.com/playlist/{ID}?si=1#frag", "playlist"),
        (f"https://open.spotify.com/intl-de/track/{ID}", "track"),
        (f"https://open.spotify.com/intl-pt-BR/album/{ID}?si=q", "album"),
        (f"https://open.spotify.com/embed/playlist/{ID}", "playlist"),
        (f"https://open.spotify.com/user/some.one/playlist/{ID}", "playlist"),
        (f"http://open.spotify.com/track/{ID}", "track"),
        (f"open.spotify.com/track/{ID}", "track"),
        (f"https://play.spotify.com/track/{ID}", "track"),
        (f"  https://open.spotify.com/track/{ID}  \n", "track"),
        (f"<https://open.spotify.com/track/{ID}>", "track"),
        (f"spotify:track:{ID}", "track"),
        (f"spotify:album:{ID}", "album"),
        (f"spotify:artist:{ID}", "artist"),
        (f"spotify:playlist:{ID}", "playlist"),
        (f"Spotify:Track:{ID}", "track"),
        (f"spotify:user:someone:playlist:{ID}", "playlist"),
    ],
)
def test_parse_spotify_link_accepts_every_form(text, kind):
    assert parse_spotify_link(text) == SpotifyRef(kind, ID)


def test_bare_id_uses_the_default_kind():
    assert parse_spotify_link(ID, default_kind="album") == SpotifyRef("album", ID)


def test_bare_id_without_a_kind_is_refused_with_advice():
    with pytest.raises(InvalidSpotifyLink, match="bare id"):
        parse_spotify_link(ID)


def test_local_file_uri_becomes_a_text_only_track():
    ref = parse_spotify_link(
        "spotify:local:Sigur+R%C3%B3s:%C3%81g%C3%A6tis+byrjun:Svefn-g-englar:604"
    )
    assert ref.kind == "local"
    meta = local_track_meta(ref)
    assert meta.title == "Svefn-g-englar"
    assert meta.artists == ("Sigur Rós",)
    assert meta.album == "Ágætis byrjun"
    assert meta.duration_ms == 604_000
    assert meta.spotify_track_id == ""


def test_local_file_with_missing_parts():
    meta = local_track_meta("spotify:local:::Only+Title:")
    assert meta.title == "Only Title" and meta.artists == () and meta.duration_ms is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hello world", "not a Spotify link"),
        ("https://example.com/track/" + ID, "not a Spotify link"),
        ("https://open.spotify.com/episode/" + ID, "not 'episode'"),
        ("https://open.spotify.com/show/" + ID, "not 'show'"),
        ("https://open.spotify.com/track/short", "not a Spotify id"),
        ("https://open.spotify.com/track/" + ID + "/extra", "not a Spotify track"),
        ("https://open.spotify.com/", "not a Spotify track"),
        ("spotify:track:", "not a Spotify id"),
        ("spotify:track:" + ID + ":x", "not a Spotify URI"),
        ("spotify:podcast:" + ID, "not 'podcast'"),
        ("spotify:local:a:b", "local-file"),
        ("https://spotify.link/abcdEF", "short links"),
        ("ftp://open.spotify.com/track/" + ID, "scheme"),
        ("http://[::1", "not a link"),
        ("x" * 5000, "too long"),
    ],
)
def test_garbage_is_refused_with_a_clear_message(text, message):
    with pytest.raises(InvalidSpotifyLink, match=message):
        parse_spotify_link(text)


def test_unknown_default_kind_is_refused():
    with pytest.raises(InvalidSpotifyLink, match="unknown kind"):
        parse_spotify_link(ID, default_kind="episode")


@given(st.text(max_size=300))
def test_parse_spotify_link_raises_only_invalid_spotify_link(text):
    try:
        ref = parse_spotify_link(text)
    except InvalidSpotifyLink:
        return
    assert ref.kind in ("track", "album", "artist", "playlist", "local")


@given(
    st.sampled_from(["https://open.spotify.com/", "spotify:", "open.spotify.com/intl-"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
)
def test_near_misses_raise_only_invalid_spotify_link(prefix, tail):
    try:
        ref = parse_spotify_link(prefix + tail)
    except InvalidSpotifyLink:
        return
    if ref.kind == "local":
        with contextlib.suppress(InvalidSpotifyLink):
            local_track_meta(ref)
