"""Naming: the template, its tokens and errors, and sanitising against hostile tags."""

from __future__ import annotations

import unicodedata
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pathvalidate import validate_filename

from library.naming import (
    DEFAULT_TEMPLATE,
    InvalidTemplate,
    UnsafePath,
    avoid_case_collisions,
    library_path,
    render_preview,
    resolve_inside,
    sanitize_component,
)
from providers.types import TrackMeta


def _meta(**changes) -> TrackMeta:
    base = {
        "title": "Karma Police",
        "artists": ("Radiohead",),
        "album": "OK Computer",
        "release_date": "1997-05-21",
        "track_number": 6,
        "track_total": 12,
    }
    return TrackMeta(**{**base, **changes})


def test_default_template_single_disc_has_no_disc_prefix():
    path = library_path(_meta(disc_number=1, disc_total=1), "flac", template=DEFAULT_TEMPLATE)
    assert path == PurePosixPath("Radiohead/OK Computer (1997)/06 Karma Police.flac")


def test_default_template_multi_disc_has_disc_prefix():
    path = library_path(_meta(disc_number=2, disc_total=2), "mp3", template=DEFAULT_TEMPLATE)
    assert path == PurePosixPath("Radiohead/OK Computer (1997)/2-06 Karma Police.mp3")


def test_missing_values_drop_optional_groups_and_use_placeholders():
    meta = TrackMeta(title="", artists=(), release_date="", track_number=None)
    assert library_path(meta, "flac") == PurePosixPath(
        "Unknown Artist/Unknown Album/Unknown Title.flac"
    )


def test_album_artist_wins_over_track_artist():
    meta = _meta(artists=("Guest", "Radiohead"), album_artist="Various Artists")
    assert library_path(meta, "flac").parts[0] == "Various Artists"


def test_every_token_renders():
    template = (
        "{albumartist}/{artist} {artists} {album} {year} {date} {track:03} {tracktotal} "
        "{disc} {discnumber} {disctotal} {genre} {isrc} {title}.{ext}"
    )
    meta = _meta(disc_number=1, disc_total=2, isrc="GBAYE9700106", genres=("Rock",))
    name = library_path(meta, "FLAC", template=template).name
    assert name == (
        "Radiohead Radiohead OK Computer 1997 1997-05-21 006 12 1 1 2 Rock GBAYE9700106 "
        "Karma Police.flac"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{albumartist}/{nope}.{ext}", "unknown token {nope}"),
        ("{album.__class__}/{title}.{ext}", "unknown token"),
        ("{album!r}/{title}.{ext}", "format spec"),
        ("{album}/{track:xyz}.{ext}", "format spec 'xyz'"),
        ("{album}/[{disc}-{title}.{ext}", "unbalanced"),
        ("{album}//{title}.{ext}", "empty directory level"),
        ("/{album}/{title}.{ext}", "relative"),
        ("{album}/{title}", "must end with .{ext}"),
        ("{album}/{title.{ext}", "bad braces"),
        ("", "empty"),
    ],
)
def test_invalid_templates_raise_a_clear_error(template, message):
    with pytest.raises(InvalidTemplate, match=message.replace("{", r"\{").replace("[", r"\[")):
        render_preview(template)


def test_render_preview_uses_a_sample_track():
    assert (
        render_preview(DEFAULT_TEMPLATE)
        == "Radiohead/OK Computer (1997)/1-02 Paranoid Android.flac"
    )
    assert render_preview("{artist} - {title}.{ext}", _meta()) == "Radiohead - Karma Police.flac"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AC/DC", "AC_DC"),
        ("..", "Unknown"),
        (".", "Unknown"),
        (".hidden", "hidden"),
        ("trailing. . ", "trailing"),
        ("a\x00b\x07c", "a b c"),
        ("CON", "CON_"),
        ("nul.txt", "nul_.txt"),
        ('what?<>:"|*', "what"),
        ("e\u0301te\u0301", "été"),
        ("", "Unknown"),
    ],
)
def test_sanitize_component(raw, expected):
    assert sanitize_component(raw).rstrip("_") == expected.rstrip("_")
    assert sanitize_component(raw) not in ("", ".", "..")


def test_long_component_is_trimmed_to_255_bytes_without_splitting_characters():
    name = sanitize_component("é" * 300 + ".flac", keep_suffix=True)
    assert len(name.encode("utf-8")) <= 255
    assert name.endswith(".flac")
    name.encode("utf-8").decode("utf-8")  # still valid UTF-8


def test_resolve_inside_refuses_escapes(tmp_path):
    root = tmp_path / "music"
    root.mkdir()
    assert resolve_inside(root, PurePosixPath("A/b.flac")) == root.resolve() / "A" / "b.flac"
    for rel in ("../x.flac", "/etc/passwd", "A/../../x", ".", ""):
        with pytest.raises(UnsafePath):
            resolve_inside(root, rel)


def test_resolve_inside_refuses_a_symlinked_directory_pointing_out(tmp_path):
    root, outside = tmp_path / "music", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (root / "Artist").symlink_to(outside)
    with pytest.raises(UnsafePath):
        resolve_inside(root, "Artist/x.flac")


_hostile_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ["..", ".", "/", "\\", "../../etc", "CON", "aux.txt", " . ", "\x00", "a/../b", "~", ""]
    ),
    st.text(alphabet=st.sampled_from("./\\\x00 :*?<>|\u202e\u0301é😀"), max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=400),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=_hostile_text,
    artist=_hostile_text,
    album=_hostile_text,
    album_artist=_hostile_text,
    date=_hostile_text,
    ext=_hostile_text,
    track=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6)),
    disc=st.one_of(st.none(), st.integers(min_value=-5, max_value=999)),
)
def test_hostile_tags_never_leave_music_dir(
    title, artist, album, album_artist, date, ext, track, disc
):
    meta = TrackMeta(
        title=title,
        artists=(artist,),
        album=album,
        album_artist=album_artist,
        release_date=date,
        track_number=track,
        disc_number=disc,
        disc_total=2,
    )
    rel = library_path(meta, ext)
    assert not rel.is_absolute()
    for part in rel.parts:
        assert part not in ("", ".", "..")
        assert "/" not in part and "\\" not in part and "\x00" not in part
        assert not part.startswith(".") and part == part.rstrip(". ")
        assert len(part.encode("utf-8")) <= 255
        assert unicodedata.normalize("NFC", part) == part
        validate_filename(part, platform="universal")
    root = Path("/srv/music")
    target = resolve_inside(root, rel)
    assert target.is_relative_to(root) and target != root


def test_configured_template_is_validated():
    from library.naming import template_from_config

    assert template_from_config() == DEFAULT_TEMPLATE


@pytest.mark.parametrize(
    ("hostile", "clean"),
    [
        ("Song\u202egpj.exe", "Songgpj.exe"),  # right-to-left override
        ("\u2066Song\u2069", "Song"),  # isolate
        ("So\u200bng\ufeff", "Song"),  # zero-width space, BOM
        ("\u200eSong\u200f\u00ad", "Song"),  # direction marks, soft hyphen
    ],
)
def test_bidi_and_invisible_format_characters_are_stripped(hostile, clean):
    assert sanitize_component(hostile) == clean


def test_joiners_that_spelling_needs_are_kept():
    assert sanitize_component("می\u200cخواهم") == "می\u200cخواهم"


def test_a_folder_differing_only_in_case_joins_the_existing_one(tmp_path):
    (tmp_path / "ABBA" / "Gold").mkdir(parents=True)
    rel = avoid_case_collisions(tmp_path, PurePosixPath("Abba/GOLD/01 Dancing Queen.flac"))
    assert rel == PurePosixPath("ABBA/Gold/01 Dancing Queen.flac")


def test_a_file_differing_only_in_case_from_another_gets_a_number_and_keeps_it(tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "Hello.flac").write_bytes(b"x")
    rel = avoid_case_collisions(tmp_path, PurePosixPath("A/hello.flac"))
    assert rel == PurePosixPath("A/hello (2).flac")
    (tmp_path / rel).write_bytes(b"y")
    assert avoid_case_collisions(tmp_path, PurePosixPath("A/hello.flac")) == rel  # stable
    assert avoid_case_collisions(tmp_path, PurePosixPath("A/Hello.flac")) == PurePosixPath(
        "A/Hello.flac"
    )
