"""The quality profile: classes, ranking, acceptance and the upgrade policy."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from library.quality import (
    QualityProfile,
    check_quality,
    is_better,
    meets_profile,
    quality_class,
    quality_key,
)
from library.tagging import read_audio


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("flac", None, 44100, 16, None), "flac"),
        (("flac", None, None, None, None), "flac"),
        (("flac", None, 96000, 24, None), "flac-hires"),
        (("m4a", None, 44100, 16, None), "alac"),
        (("m4a", 256, 44100, None, None), "aac"),
        (("mp3", 320, 44100, None, False), "mp3-320"),
        (("mp3", 320, 44100, None, None), "mp3-320"),
        (("mp3", 245, 44100, None, True), "mp3-v0"),
        (("mp3", 241, 44100, None, None), "mp3-v0"),  # not a CBR rate: an average
        (("mp3", 256, 44100, None, False), "mp3-256"),
        (("mp3", 192, 44100, None, False), "mp3"),
        (("mp3", 190, 44100, None, True), "mp3"),
        (("ogg", 160, 44100, None, None), "ogg"),
        (("opus", 128, 48000, None, None), "opus"),
        (("wav", None, 44100, 16, None), "wav"),
        (("wma", 192, 44100, None, None), "other"),
    ],
)
def test_quality_class(args, expected):
    assert quality_class(*args) == expected


def test_lame_preset_names_v0_even_at_a_low_average():
    assert quality_class("mp3", 98, 44100, None, True, vbr_preset="V0") == "mp3-v0"
    assert quality_class("mp3", 190, 44100, None, True, vbr_preset="V2") == "mp3"


def test_default_order_is_flac_cd_then_hires_then_mp3_320_v0_256_others():
    keys = [
        quality_key("flac", None, 44100, 16, None),
        quality_key("flac", None, 96000, 24, None),
        quality_key("mp3", 320, 44100, None, False),
        quality_key("mp3", 245, 44100, None, True),
        quality_key("mp3", 256, 44100, None, False),
        quality_key("opus", 160, 48000, None, None),
        quality_key("mp3", 192, 44100, None, False),
        quality_key("wma", 999, 44100, None, None),
    ]
    assert keys == sorted(keys, reverse=True)
    assert len(set(keys)) == len(keys)


def test_higher_bitrate_breaks_ties_within_a_lossy_class():
    assert quality_key("mp3", 192, None, None, False) > quality_key("mp3", 128, None, None, False)


def test_profile_order_and_allow_list_come_from_the_formats_list():
    profile = QualityProfile(formats=("mp3-320", "flac"))
    assert quality_key("mp3", 320, None, None, False, profile=profile) > quality_key(
        "flac", None, 44100, 16, None, profile=profile
    )
    assert not check_quality(profile, "ogg", 320, 44100, None, None)
    assert (
        "ogg is not an allowed format"
        in check_quality(profile, "ogg", 320, 44100, None, None).reason
    )


def test_unknown_quality_class_in_the_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown quality class mp3-999"):
        QualityProfile(formats=("flac", "mp3-999"))


@pytest.mark.parametrize(
    ("profile", "args", "ok", "reason"),
    [
        (QualityProfile(min_bitrate=192), ("mp3", 128, 44100, None, False), False, "bitrate 128"),
        (QualityProfile(min_bitrate=192), ("mp3", 256, 44100, None, False), True, ""),
        (QualityProfile(min_bitrate=192), ("flac", None, 44100, 16, None), True, ""),
        (QualityProfile(min_bitrate=192), ("mp3", None, 44100, None, None), True, ""),
        (
            QualityProfile(min_bitrate=192, strict=True),
            ("mp3", None, 44100, None, None),
            False,
            "unknown",
        ),
        (
            QualityProfile(max_sample_rate=48000),
            ("flac", None, 96000, 24, None),
            False,
            "sample rate",
        ),
        (QualityProfile(max_bit_depth=16), ("flac", None, 44100, 24, None), False, "bit depth 24"),
        (QualityProfile(max_bit_depth=16, strict=True), ("mp3", 320, 44100, None, False), True, ""),
    ],
)
def test_check_quality(profile, args, ok, reason):
    result = check_quality(profile, *args)
    assert bool(result) is ok and result.ok is ok
    assert reason in result.reason


def test_audio_infos_rank_and_meet_the_profile(audio_file):
    flac = read_audio(audio_file("flac"))
    mp3 = read_audio(audio_file("mp3", bitrate=320))
    assert is_better(flac, mp3) and not is_better(mp3, flac) and not is_better(flac, flac)
    assert meets_profile(flac, profile=QualityProfile())
    assert not meets_profile(mp3, profile=QualityProfile(formats=("flac",)))


@dataclass
class _Row:  # the shape of a stored LibraryFile
    format: str
    codec: str
    bitrate_kbps: int | None
    sample_rate: int | None
    bit_depth: int | None


def test_upgrade_policy_on_stored_rows():
    flac = _Row("flac", "flac", 900, 44100, 16)
    mp3_320 = _Row("mp3", "mp3", 320, 44100, None)
    v0 = _Row("mp3", "mp3", 245, 44100, None)
    mp3_128 = _Row("mp3", "mp3", 128, 44100, None)
    ladder = [flac, mp3_320, v0, mp3_128]
    for better, worse in zip(ladder, ladder[1:], strict=False):
        assert is_better(better, worse) and not is_better(worse, better)


def test_profile_and_tag_options_read_the_declared_knobs():
    from library.tagging import TagOptions

    assert QualityProfile.from_config() == QualityProfile()
    assert TagOptions.from_config() == TagOptions(id3_version=4, artwork_max_size=1200)


def test_lossless_never_replaces_lossless():
    cd = _Row("flac", "flac", 900, 44100, 16)
    hires = _Row("flac", "flac", 3000, 96000, 24)
    alac = _Row("m4a", "alac", 900, 44100, 16)
    for new, old in ((cd, hires), (hires, cd), (alac, cd), (cd, alac)):
        assert not is_better(new, old)
