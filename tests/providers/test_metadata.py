"""Lyrics (fake LRCLIB) and artwork (images served by the fake Spotify) over real sockets."""

import pytest

from providers.artwork import fetch_artwork
from providers.errors import ProviderError
from providers.lyrics import Lyrics, fetch_lyrics
from providers.types import Artwork, TrackMeta
from tests.fakes.base import Reply
from tests.fakes.lrclib import SYNCED
from tests.fakes.spotify import JPEG_BYTES, knobs_set

META = TrackMeta(
    title="Svefn-g-englar", artists=("Sigur Rós",), album="Ágætis byrjun", duration_ms=604_400
)


@pytest.fixture
def lrclib(fake_lrclib):
    with knobs_set(LYRICS_URL=fake_lrclib.url, LYRICS_ENABLED="true"):
        yield fake_lrclib


def test_lyrics_sends_all_four_parameters_and_identifies_itself(lrclib):
    lrclib.add("svefn-g-englar", "SIGUR RÓS", "Ágætis byrjun", 605)
    lyrics = fetch_lyrics(META)
    assert lyrics == Lyrics(plain="Hello from the fake\nSecond line\n", synced=SYNCED)
    call = lrclib.requests_to("GET", "/api/get")[0]
    assert call.arg("track_name") == "Svefn-g-englar" and call.arg("artist_name") == "Sigur Rós"
    assert call.arg("album_name") == "Ágætis byrjun" and call.arg("duration") == "604"
    assert call.headers["lrclib-client"].startswith("Harmony")
    assert call.headers["user-agent"].startswith("Harmony")


def test_lyrics_not_found_is_none(lrclib):
    assert fetch_lyrics(META) is None


def test_instrumental_is_none(lrclib):
    lrclib.add("Svefn-g-englar", "Sigur Rós", "Ágætis byrjun", 604, instrumental=True)
    assert fetch_lyrics(META) is None


def test_plain_only_lyrics(lrclib):
    lrclib.add("Svefn-g-englar", "Sigur Rós", "Ágætis byrjun", 604, synced=None)
    assert fetch_lyrics(META) == Lyrics(plain="Hello from the fake\nSecond line\n", synced=None)


def test_lyrics_failure_never_raises_unless_asked(lrclib):
    lrclib.inject("GET", "/api/get", Reply.html(502), times=10)
    assert fetch_lyrics(META) is None
    with pytest.raises(ProviderError):
        fetch_lyrics(META, raise_errors=True)


def test_lyrics_switched_off_makes_no_call(lrclib):
    with knobs_set(LYRICS_ENABLED="false"):
        assert fetch_lyrics(META) is None
    assert not lrclib.requests


def test_lyrics_unreachable_is_none():
    with knobs_set(LYRICS_URL="http://127.0.0.1:9", LYRICS_TIMEOUT="1"):
        assert fetch_lyrics(META) is None


def _with_art(*urls: str) -> TrackMeta:
    sizes = [(64, 64), (640, 640), (None, None)]
    art = tuple(Artwork(url, *size) for url, size in zip(urls, sizes, strict=False))
    return TrackMeta(title="T", artists=("A",), artwork=art)


def test_artwork_downloads_the_largest_image(fake_spotify):
    meta = _with_art(fake_spotify.image_url("png"), fake_spotify.image_url("jpeg"))
    assert fetch_artwork(meta) == JPEG_BYTES
    assert len(fake_spotify.requests_to("GET", "/image/.*")) == 1


def test_artwork_refuses_oversized_and_non_images(fake_spotify):
    with knobs_set(ARTWORK_MAX_BYTES="1048576"):
        assert fetch_artwork(_with_art("x", fake_spotify.image_url("huge"))) is None
        assert fetch_artwork(_with_art("x", fake_spotify.image_url("html"))) is None
        with pytest.raises(ProviderError, match="exceeds"):
            fetch_artwork(_with_art("x", fake_spotify.image_url("huge")), raise_errors=True)


def test_artwork_switched_off_or_missing(fake_spotify):
    assert fetch_artwork(TrackMeta(title="T", artists=("A",))) is None
    with knobs_set(ARTWORK_ENABLED="false"):
        assert fetch_artwork(_with_art("x", fake_spotify.image_url("jpeg"))) is None
    assert not fake_spotify.requests
