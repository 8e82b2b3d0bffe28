"""Tagging and reading real files of every format; tags are read back with mutagen directly."""

from __future__ import annotations

import base64
import io
import shutil
import tempfile
from pathlib import Path

import mutagen
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutagen import id3
from mutagen.flac import FLAC
from mutagen.flac import Picture as FlacPicture
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from PIL import Image

from library.tagging import (
    TaggingError,
    TagOptions,
    UnreadableAudio,
    parse_audio,
    read_audio,
    tag_file,
    tag_parsed,
)
from providers.lyrics import Lyrics
from providers.types import TrackMeta
from tests.audio import EXTENSIONS, cached_audio

META = TrackMeta(
    title="Naïve Song",
    artists=("Alice", "Bob"),
    album="Album — Ω",
    album_artist="Alice",
    release_date="1997-05-21",
    track_number=3,
    track_total=12,
    disc_number=2,
    disc_total=2,
    isrc="usrc17607839",
    genres=("Rock", "Pop"),
    spotify_track_id="4uLU6hMCjMI75M1A2tKUQC",
    spotify_album_id="6dVIqQ8qmQ5GBnJ9shOYGE",
    musicbrainz_recording_id="b1a9c0e9-d987-4042-ae91-78d6a3267d69",
    musicbrainz_album_id="a1b2c3d4-0000-4000-8000-000000000001",
    musicbrainz_artist_id="a1b2c3d4-0000-4000-8000-000000000002",
)
LRC = "[00:01.00] first line\n[00:02.50] second line"
OPTIONS = TagOptions(id3_version=4, clear_existing=False, artwork_max_size=500)
VORBIS_FORMATS = ["flac", "ogg", "opus"]
ALL_FORMATS = ["flac", "mp3", "m4a", "alac", "ogg", "opus", "wav"]


def _image(width: int, height: int, kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, kind)
    return out.getvalue()


def _picture_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


@pytest.mark.parametrize("fmt", VORBIS_FORMATS)
def test_vorbis_comments_hold_every_field(audio_file, fmt):
    path = audio_file(fmt)
    tag_file(path, META, options=OPTIONS)
    tags = mutagen.File(path).tags
    expected = {
        "TITLE": ["Naïve Song"],
        "ARTIST": ["Alice", "Bob"],
        "ALBUM": ["Album — Ω"],
        "ALBUMARTIST": ["Alice"],
        "TRACKNUMBER": ["3"],
        "TRACKTOTAL": ["12"],
        "DISCNUMBER": ["2"],
        "DISCTOTAL": ["2"],
        "DATE": ["1997-05-21"],
        "GENRE": ["Rock", "Pop"],
        "ISRC": ["USRC17607839"],
        "SPOTIFY_TRACKID": [META.spotify_track_id],
        "SPOTIFY_ALBUMID": [META.spotify_album_id],
        "MUSICBRAINZ_TRACKID": [META.musicbrainz_recording_id],
        "MUSICBRAINZ_ALBUMID": [META.musicbrainz_album_id],
        "MUSICBRAINZ_ARTISTID": [META.musicbrainz_artist_id],
    }
    for key, values in expected.items():
        assert tags[key] == values, key


@pytest.mark.parametrize("version", [4, 3])
def test_mp3_id3_frames_hold_every_field(audio_file, version):
    path = audio_file("mp3")
    tag_file(path, META, options=TagOptions(id3_version=version))
    tags = id3.ID3(path, translate=False)  # the frames as stored, not upgraded to v2.4
    assert tags.version[:2] == (2, version)
    joined = version == 3
    assert tags["TIT2"].text == ["Naïve Song"]
    assert tags["TPE1"].text == (["Alice/Bob"] if joined else ["Alice", "Bob"])
    assert tags["TCON"].text == (["Rock/Pop"] if joined else ["Rock", "Pop"])
    assert tags["TALB"].text == ["Album — Ω"]
    assert tags["TPE2"].text == ["Alice"]
    assert tags["TRCK"].text == ["3/12"]
    assert tags["TPOS"].text == ["2/2"]
    if joined:
        assert (tags["TYER"].text, tags["TDAT"].text) == (["1997"], ["2105"])
    else:
        assert str(tags["TDRC"].text[0]) == "1997-05-21"
    assert tags["TSRC"].text == ["USRC17607839"]
    assert tags["TXXX:Spotify Track Id"].text == [META.spotify_track_id]
    assert tags["TXXX:Spotify Album Id"].text == [META.spotify_album_id]
    assert tags["TXXX:MusicBrainz Album Id"].text == [META.musicbrainz_album_id]
    assert tags["TXXX:MusicBrainz Artist Id"].text == [META.musicbrainz_artist_id]
    assert tags["UFID:http://musicbrainz.org"].data == META.musicbrainz_recording_id.encode()


@pytest.mark.parametrize("fmt", ["m4a", "alac"])
def test_mp4_atoms_hold_every_field(audio_file, fmt):
    path = audio_file(fmt)
    tag_file(path, META, options=OPTIONS)
    tags = MP4(path).tags
    assert tags["\xa9nam"] == ["Naïve Song"]
    assert tags["\xa9ART"] == ["Alice", "Bob"]
    assert tags["\xa9alb"] == ["Album — Ω"]
    assert tags["aART"] == ["Alice"]
    assert tags["trkn"] == [(3, 12)]
    assert tags["disk"] == [(2, 2)]
    assert tags["\xa9day"] == ["1997-05-21"]
    assert tags["\xa9gen"] == ["Rock", "Pop"]
    freeform = {
        "ISRC": "USRC17607839",
        "Spotify Track Id": META.spotify_track_id,
        "Spotify Album Id": META.spotify_album_id,
        "MusicBrainz Track Id": META.musicbrainz_recording_id,
        "MusicBrainz Album Id": META.musicbrainz_album_id,
        "MusicBrainz Artist Id": META.musicbrainz_artist_id,
    }
    for name, value in freeform.items():
        assert bytes(tags[f"----:com.apple.iTunes:{name}"][0]).decode() == value, name


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_read_audio_returns_what_tag_file_wrote(audio_file, fmt):
    path = audio_file(fmt)
    tag_file(path, META, options=OPTIONS)
    info = read_audio(path)
    assert info.meta.title == META.title
    assert info.meta.artists == META.artists
    assert (info.meta.album, info.meta.album_artist) == (META.album, META.album_artist)
    assert (info.meta.track_number, info.meta.track_total) == (3, 12)
    assert (info.meta.disc_number, info.meta.disc_total) == (2, 2)
    assert info.meta.release_date == "1997-05-21"
    assert info.meta.genres == ("Rock", "Pop")
    assert info.meta.isrc == "USRC17607839"
    assert info.meta.spotify_track_id == META.spotify_track_id
    assert info.meta.musicbrainz_recording_id == META.musicbrainz_recording_id
    assert info.meta.duration_ms == pytest.approx(1000, abs=60)


@pytest.mark.parametrize(
    ("fmt", "params", "codec", "bit_depth", "sample_rate"),
    [
        ("flac", {}, "flac", 16, 44100),
        ("flac", {"bit_depth": 24, "sample_rate": 96000}, "flac", 24, 96000),
        ("mp3", {"bitrate": 320}, "mp3", None, 44100),
        ("m4a", {}, "aac", None, 44100),
        ("alac", {"bit_depth": 24}, "alac", 24, 44100),
        ("ogg", {}, "vorbis", None, 44100),
        ("opus", {}, "opus", None, 48000),
        ("wav", {}, "pcm", 16, 44100),
    ],
)
def test_read_audio_reports_stream_properties(
    audio_file, fmt, params, codec, bit_depth, sample_rate
):
    info = read_audio(audio_file(fmt, **params))
    assert (info.codec, info.bit_depth, info.sample_rate, info.channels) == (
        codec,
        bit_depth,
        sample_rate,
        2,
    )
    assert info.bitrate_kbps and info.bitrate_kbps > 0
    assert info.duration_s == pytest.approx(1.0, abs=0.06)
    assert info.size == info.path.stat().st_size


def test_mp3_cbr_and_vbr_are_told_apart(audio_file):
    cbr = read_audio(audio_file("mp3", bitrate=320))
    vbr = read_audio(audio_file("mp3", bitrate="V0"))
    assert (cbr.vbr, cbr.bitrate_kbps) == (False, 320)
    assert vbr.vbr is True


def test_tags_snapshot_is_json_serialisable(audio_file):
    import json

    for fmt in ALL_FORMATS:
        path = audio_file(fmt)
        tag_file(path, META, artwork=_image(100, 100), lyrics=Lyrics(None, LRC), options=OPTIONS)
        snapshot = read_audio(path).tags
        assert json.loads(json.dumps(snapshot)) == snapshot


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_large_cover_is_embedded_capped(audio_file, fmt):
    path = audio_file(fmt)
    tag_file(path, META, artwork=_image(2000, 1000), options=OPTIONS)
    data = _embedded_cover(path)
    assert _picture_size(data) == (500, 250)
    assert read_audio(path).has_artwork


def test_small_png_cover_is_embedded_unchanged(audio_file):
    png = _image(300, 300, "PNG")
    for fmt in ("flac", "mp3", "m4a", "ogg"):
        path = audio_file(fmt)
        tag_file(path, META, artwork=png, options=OPTIONS)
        assert _embedded_cover(path) == png


def test_new_cover_replaces_the_old_front_cover_only_once(audio_file):
    path = audio_file("flac")
    tag_file(path, META, artwork=_image(50, 50), options=OPTIONS)
    tag_file(path, META, artwork=_image(60, 60), options=OPTIONS)
    pictures = FLAC(path).pictures
    assert [p.type for p in pictures] == [3]
    assert _picture_size(pictures[0].data) == (60, 60)


def test_unusable_image_is_skipped_and_tags_still_written(audio_file):
    path = audio_file("flac")
    result = tag_file(path, META, artwork=b"not an image", options=OPTIONS)
    assert result.artwork is False
    assert FLAC(path)["TITLE"] == ["Naïve Song"]


def _embedded_cover(path) -> bytes:
    audio = mutagen.File(path)
    if isinstance(audio, FLAC):
        return next(p.data for p in audio.pictures if p.type == 3)
    if isinstance(audio, MP4):
        return bytes(audio.tags["covr"][0])
    if audio.tags is not None and hasattr(audio.tags, "getall"):
        return next(f.data for f in audio.tags.getall("APIC") if f.type == 3)
    encoded = audio.tags["METADATA_BLOCK_PICTURE"][0]
    return FlacPicture(base64.b64decode(encoded)).data


@pytest.mark.parametrize("fmt", VORBIS_FORMATS)
def test_vorbis_lyrics_convention(audio_file, fmt):
    path = audio_file(fmt)
    tag_file(
        path, META, lyrics=Lyrics(plain="first line\nsecond line", synced=LRC), options=OPTIONS
    )
    tags = mutagen.File(path).tags
    assert tags["LYRICS"] == ["first line\nsecond line"]
    assert tags["SYNCEDLYRICS"] == [LRC]


def test_mp3_lyrics_are_uslt_and_sylt(audio_file):
    path = audio_file("mp3")
    tag_file(path, META, lyrics=Lyrics(plain=None, synced=LRC), options=OPTIONS)
    tags = id3.ID3(path)
    assert tags.getall("USLT")[0].text == "first line\nsecond line"  # words of the synced text
    sylt = tags.getall("SYLT")[0]
    assert (sylt.format, sylt.type) == (2, 1)
    assert sylt.text == [("first line", 1000), ("second line", 2500)]
    assert read_audio(path).lyrics == Lyrics(plain="first line\nsecond line", synced=LRC)


def test_mp4_lyrics_are_lyr_plus_synced_freeform(audio_file):
    path = audio_file("m4a")
    tag_file(path, META, lyrics=Lyrics(plain="words", synced=LRC), options=OPTIONS)
    tags = MP4(path).tags
    assert tags["\xa9lyr"] == ["words"]
    assert bytes(tags["----:com.apple.iTunes:SYNCEDLYRICS"][0]).decode() == LRC


def test_unrelated_tags_are_kept_by_default(audio_file):
    path = audio_file("flac", tags={"title": "old", "composer": "Keep Me"})
    tag_file(path, META, options=OPTIONS)
    tags = FLAC(path)
    assert tags["COMPOSER"] == ["Keep Me"]
    assert tags["TITLE"] == ["Naïve Song"]


def test_unknown_fields_do_not_blank_existing_ones(audio_file):
    path = audio_file("mp3", tags={"title": "old", "isrc": "GBAYE0000001"})
    tag_file(path, TrackMeta(title="New", artists=("X",)), options=OPTIONS)
    tags = id3.ID3(path)
    assert tags["TSRC"].text == ["GBAYE0000001"]
    assert tags["TIT2"].text == ["New"]


@pytest.mark.parametrize("fmt", ["flac", "mp3", "m4a"])
def test_clear_existing_removes_unrelated_tags(audio_file, fmt):
    path = audio_file(fmt, tags={"title": "old", "copyright": "Gone"})
    tag_file(path, META, options=TagOptions(clear_existing=True))
    info = read_audio(path)
    assert not any("Gone" in values for values in info.tags.values())
    assert info.meta.title == "Naïve Song"


def test_corrupt_file_raises_tagging_error(tmp_path, audio_file):
    path = audio_file("flac")
    data = path.read_bytes()
    path.write_bytes(data[:4] + b"\x00" * 40)  # valid magic, destroyed STREAMINFO
    with pytest.raises(TaggingError):
        tag_file(path, META, options=OPTIONS)
    with pytest.raises(UnreadableAudio) as caught:
        read_audio(path)
    assert caught.value.code == "corrupt"


def test_unsupported_file_raises_with_code(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("just text, not audio")
    with pytest.raises(TaggingError) as caught:
        tag_file(path, META, options=OPTIONS)
    assert caught.value.code == "unsupported"


def test_extension_that_lies_is_wrong_format(audio_file):
    path = audio_file("flac", name="actually-flac.mp3")
    with pytest.raises(UnreadableAudio) as caught:
        read_audio(path)
    assert caught.value.code == "wrong_format"
    assert read_audio(path, check_extension=False).format == "flac"


def test_missing_file_raises_missing(tmp_path):
    with pytest.raises(UnreadableAudio) as caught:
        read_audio(tmp_path / "gone.flac")
    assert caught.value.code == "missing"


def test_mp3_read_back_keeps_separate_tracknumber_when_no_total(audio_file):
    path = audio_file("mp3")
    tag_file(path, TrackMeta(title="T", artists=("A",), track_number=7), options=OPTIONS)
    assert MP3(path).tags["TRCK"].text == ["7"]
    assert read_audio(path).meta.track_total is None


_text = st.text(max_size=40)
_number = st.one_of(st.none(), st.integers(min_value=-10, max_value=10**7))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(["flac", "mp3", "m4a", "ogg", "opus", "wav"]),
    version=st.sampled_from([3, 4]),
    title=_text,
    artists=st.lists(_text, max_size=3),
    date=_text,
    isrc=_text,
    track=_number,
    disc=_number,
)
def test_any_metadata_tags_any_format_and_reads_back(
    audio_cache, fmt, version, title, artists, date, isrc, track, disc
):
    folder = Path(tempfile.mkdtemp(dir=audio_cache))
    path = cached_audio(audio_cache, folder / f"x.{EXTENSIONS[fmt]}", fmt, duration_s=0.2)
    meta = TrackMeta(
        title=title,
        artists=tuple(artists),
        release_date=date,
        isrc=isrc,
        track_number=track,
        disc_number=disc,
    )
    tag_file(path, meta, options=TagOptions(id3_version=version))
    info = read_audio(path)
    if title.replace("\x00", "").strip() and "\ud800" not in title:
        assert info.meta.title == title.replace("\x00", "").strip()
    if track is not None and 0 < track <= 65535:
        assert info.meta.track_number == track
    shutil.rmtree(folder)


def test_picard_artists_list_wins_over_a_joined_artist(audio_file):
    flac = audio_file("flac", tags={"artist": "Alice feat. Bob", "artists": ["Alice", "Bob"]})
    assert read_audio(flac).meta.artists == ("Alice", "Bob")
    mp3 = audio_file("mp3", tags={"artist": "Alice feat. Bob"})
    tags = id3.ID3(mp3)
    tags.add(id3.TXXX(encoding=3, desc="ARTISTS", text=["Alice", "Bob"]))
    tags.save(mp3)
    assert read_audio(mp3).meta.artists == ("Alice", "Bob")


def test_tagging_refreshes_an_existing_picard_artists_list(audio_file):
    path = audio_file("flac", tags={"artist": "Old", "artists": ["Old", "Older"]})
    tag_file(path, META, options=OPTIONS)
    assert FLAC(path)["ARTISTS"] == ["Alice", "Bob"]
    assert read_audio(path).meta.artists == ("Alice", "Bob")


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_tag_parsed_writes_through_one_parse_and_returns_the_new_snapshot(audio_file, fmt):
    path = audio_file(fmt, tags={"title": "Old Title"})
    parsed = parse_audio(path)

    written = tag_parsed(parsed, META, options=OPTIONS)

    reread = read_audio(path)
    assert reread.meta.title == "Naïve Song" and reread.meta.isrc == "USRC17607839"
    assert written.tags == reread.tags  # the snapshot is what the file now holds


def test_id3v23_snapshot_is_what_a_reader_finds(audio_file):
    path = audio_file("mp3")
    options = TagOptions(id3_version=3)

    written = tag_parsed(parse_audio(path), META, options=options)

    assert written.tags == read_audio(path).tags
    assert written.tags["TPE1"] == ["Alice/Bob"]


def test_writing_a_total_drops_its_other_spelling(audio_file):
    path = audio_file("flac", tags={"totaltracks": "99", "totaldiscs": "9"})
    tag_file(path, META, options=OPTIONS)
    tags = FLAC(path)
    assert (tags["TRACKTOTAL"], tags["DISCTOTAL"]) == (["12"], ["2"])
    assert "TOTALTRACKS" not in tags and "TOTALDISCS" not in tags


def test_light_read_skips_lyrics_and_cover_but_keeps_tags(audio_file):
    path = audio_file("ogg")
    tag_file(path, META, artwork=_image(40, 40), lyrics=Lyrics(plain="words"), options=OPTIONS)
    full, light = read_audio(path), read_audio(path, light=True)
    assert full.has_artwork and full.lyrics.plain == "words"
    assert not light.has_artwork and light.lyrics == Lyrics()
    assert (light.meta, light.tags, light.duration_s) == (full.meta, full.tags, full.duration_s)
