"""Hard filters, ranking steps and robustness of `rank_candidates` (matching.md 4-5)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from downloads.matching.ranking import (
    MatchConfig,
    PeerStat,
    RejectReason,
    rank_candidates,
    split_peer_path,
)
from library.quality import QualityProfile
from providers.slskd.types import PeerFile, PeerResponse
from providers.types import TrackMeta

WANTED = TrackMeta(
    title="Karma Police",
    artists=("Radiohead",),
    album="OK Computer",
    duration_ms=264_000,
    release_date="1997",
)
FOLDER = r"@@abc\Music\Radiohead\OK Computer (1997)"
GOOD = rf"{FOLDER}\06 - Karma Police.flac"


def _file(path=GOOD, *, size=29_000_000, length=264, **fields) -> PeerFile:
    fields.setdefault("sample_rate", 44100)
    fields.setdefault("bit_depth", 16)
    return PeerFile(filename=path, size=size, length=length, **fields)


def _peer(*files, user="alice", free=True, speed=1_500_000, queue=0, locked=()) -> PeerResponse:
    return PeerResponse(user, free, speed, queue, tuple(files), locked_files=tuple(locked))


def _rank(responses, wanted=WANTED, **kwargs):
    kwargs.setdefault("profile", QualityProfile())
    return rank_candidates(wanted, responses, **kwargs)


def _reason(responses, **kwargs) -> RejectReason:
    result = _rank(responses, **kwargs)
    assert not result.ranked
    (rejected,) = result.rejected
    assert rejected.detail
    return rejected.reason


# --- hard filters ------------------------------------------------------------------------------


def test_a_good_file_passes():
    result = _rank([_peer(_file())])
    assert [r.filename for r in result.ranked] == [GOOD]
    assert result.rejected == []
    assert result.best.key == ("alice", GOOD, 29_000_000)


@pytest.mark.parametrize(
    "path",
    [rf"{FOLDER}\..\06 - Karma Police.flac", r"@@abc\.\06 - Karma Police.flac", "", "\\\\"],
)
def test_dot_segments_and_empty_paths_are_unsafe(path):
    assert _reason([_peer(_file(path))]) == RejectReason.UNSAFE_PATH


def test_control_characters_are_unsafe():
    assert _reason([_peer(_file(f"{FOLDER}\\06 Karma\x00Police.flac"))]) == RejectReason.UNSAFE_PATH


@pytest.mark.parametrize(
    "name", ["06 - Karma Police.jpg", "06 - Karma Police.flac.part", "Karma Police"]
)
def test_extension_comes_from_the_file_name_not_the_peer_field(name):
    peer_file = replace(_file(rf"{FOLDER}\{name}"), extension="flac")
    assert _reason([_peer(peer_file)]) == RejectReason.EXTENSION_NOT_ALLOWED


def test_extension_list_is_configurable():
    config = MatchConfig(allowed_extensions=frozenset({"mp3"}))
    assert _reason([_peer(_file())], config=config) == RejectReason.EXTENSION_NOT_ALLOWED


def test_zero_size_is_rejected():
    assert _reason([_peer(_file(size=0))]) == RejectReason.INVALID_SIZE


def test_excluded_peer_is_rejected():
    stats = {"alice": PeerStat(failures=2, excluded=True)}
    assert _reason([_peer(_file())], peer_stats=stats) == RejectReason.PEER_EXCLUDED


def test_queue_of_fifty_passes_and_fifty_one_does_not():
    assert _rank([_peer(_file(), queue=50)]).ranked
    assert _reason([_peer(_file(), queue=51)]) == RejectReason.QUEUE_TOO_LONG


def test_blocklist_matches_user_path_and_size_exactly():
    blocked = {("alice", GOOD, 29_000_000)}
    assert _reason([_peer(_file())], blocklist=blocked) == RejectReason.BLOCKLISTED
    assert _rank([_peer(_file(size=29_000_001))], blocklist=blocked).ranked
    assert _rank([_peer(_file(), user="bob")], blocklist=blocked).ranked


def test_locked_files_are_never_candidates():
    result = _rank([_peer(locked=[_file()])])
    assert result.ranked == []
    assert result.rejected[0].reason == RejectReason.LOCKED


def test_title_words_must_be_whole_words_of_the_file_name():
    assert _reason([_peer(_file(rf"{FOLDER}\06 - Karma Policeman.flac"))]) == (
        RejectReason.TITLE_MISMATCH
    )
    # The folder does not count for the title.
    assert _reason([_peer(_file(r"@@abc\Radiohead\Karma Police\06.flac"))]) == (
        RejectReason.TITLE_MISMATCH
    )


def test_artist_words_may_be_anywhere_in_the_path():
    assert _rank([_peer(_file(r"@@abc\Music\06 - Radiohead - Karma Police.flac"))]).ranked
    assert _reason([_peer(_file(r"@@abc\Music\Covers\06 - Karma Police.flac"))]) == (
        RejectReason.ARTIST_MISMATCH
    )


def test_any_credited_artist_satisfies_the_artist_filter():
    wanted = replace(WANTED, artists=("Thom Yorke", "Radiohead"))
    assert _rank([_peer(_file())], wanted=wanted).ranked


def test_feat_in_a_file_name_does_not_swallow_the_title():
    path = rf"{FOLDER}\06 - Radiohead feat. Someone - Karma Police.flac"
    assert _rank([_peer(_file(path))]).ranked


def test_diacritics_and_case_are_folded_on_both_sides():
    wanted = replace(WANTED, title="Jóga", artists=("Björk",), album="Homogenic")
    path = r"@@x\BJORK\Homogenic\02 - JOGA.flac"
    assert _rank([_peer(_file(path))], wanted=wanted).ranked


@pytest.mark.parametrize(
    "suffix", ["(Live)", "(Dubstep Remix)", "[Instrumental]", "(Radio Edit)", "(Sped Up)"]
)
def test_candidate_version_markers_reject(suffix):
    path = rf"{FOLDER}\06 - Karma Police {suffix}.flac"
    assert _reason([_peer(_file(path))]) == RejectReason.UNWANTED_VERSION


def test_a_live_album_folder_marks_its_files_live():
    path = r"@@abc\Radiohead\I Might Be Wrong - Live Recordings\Karma Police.flac"
    assert _reason([_peer(_file(path))]) == RejectReason.UNWANTED_VERSION


def test_wanted_live_rejects_a_studio_candidate_and_accepts_a_live_one():
    wanted = replace(WANTED, title="Karma Police - Live")
    assert _reason([_peer(_file())], wanted=wanted) == RejectReason.MISSING_VERSION
    live = rf"{FOLDER}\06 - Karma Police (Live).flac"
    assert _rank([_peer(_file(live))], wanted=wanted).ranked


def test_marker_words_of_the_wanted_title_are_not_markers():
    wanted = replace(
        WANTED, title="Live and Let Die", artists=("Wings",), album="Red Rose Speedway"
    )
    good = r"@@x\Wings\Singles\Live and Let Die.flac"
    live = r"@@x\Wings\Singles\Live and Let Die (Live).flac"
    result = _rank([_peer(_file(good), _file(live))], wanted=wanted)
    assert [r.filename for r in result.ranked] == [good]
    assert result.rejected[0].reason == RejectReason.UNWANTED_VERSION


def test_marker_words_of_the_artist_are_not_markers():
    wanted = replace(WANTED, title="Lightning Crashes", artists=("Live",), album="Throwing Copper")
    path = r"@@x\Live\Throwing Copper\05 - Live - Lightning Crashes.flac"
    assert _rank([_peer(_file(path))], wanted=wanted).ranked


def test_remaster_mono_and_deluxe_never_reject():
    path = r"@@x\Radiohead\OK Computer (Deluxe) [Mono]\06 Karma Police (2017 Remastered).flac"
    assert _rank([_peer(_file(path))]).ranked


@pytest.mark.parametrize(
    ("length", "passes"), [(259, True), (269, True), (258, False), (270, False)]
)
def test_duration_within_five_seconds(length, passes):
    result = _rank([_peer(_file(length=length))])
    assert bool(result.ranked) is passes
    if not passes:
        assert result.rejected[0].reason == RejectReason.DURATION_MISMATCH


def test_live_wanted_allows_ten_seconds():
    wanted = replace(WANTED, title="Karma Police (Live)")
    live = rf"{FOLDER}\06 - Karma Police (Live).flac"
    assert _rank([_peer(_file(live, length=273))], wanted=wanted).ranked
    assert not _rank([_peer(_file(live, length=275))], wanted=wanted).ranked


def test_unknown_length_is_accepted_unless_strict():
    assert _rank([_peer(_file(length=None))]).ranked
    strict = MatchConfig(strict=True)
    assert _reason([_peer(_file(length=None))], config=strict) == RejectReason.DURATION_UNKNOWN


def test_unknown_quality_is_accepted_unless_strict():
    bare = _file(sample_rate=None, bit_depth=None)
    assert _rank([_peer(bare)]).ranked
    strict = MatchConfig(strict=True)
    assert _reason([_peer(bare)], config=strict) == RejectReason.QUALITY_UNKNOWN


def test_a_file_too_small_for_its_length_is_truncated():
    assert _reason([_peer(_file(size=3_000_000))]) == RejectReason.TRUNCATED
    mp3 = _file(rf"{FOLDER}\06 Karma Police.mp3", size=4_000_000, bit_rate=320)
    assert _reason([_peer(mp3)]) == RejectReason.TRUNCATED


def test_formats_outside_the_profile_are_rejected():
    profile = QualityProfile(formats=("flac",))
    mp3 = _file(rf"{FOLDER}\06 Karma Police.mp3", size=10_600_000, bit_rate=320)
    assert _reason([_peer(mp3)], profile=profile) == RejectReason.QUALITY_NOT_ALLOWED


def test_every_file_is_either_ranked_or_rejected_once():
    files = [_file(), _file(rf"{FOLDER}\cover.jpg"), _file()]  # the duplicate is listed once
    result = _rank([_peer(*files), _peer(_file(), user="bob")])
    assert len(result.ranked) + len(result.rejected) == 3


# --- ranking -----------------------------------------------------------------------------------


def _mp3(kbps, *, vbr=False, name="06 Karma Police"):
    return _file(rf"{FOLDER}\{name}.mp3", size=264 * kbps * 125, bit_rate=kbps,
                 is_variable_bit_rate=vbr, sample_rate=None, bit_depth=None)  # fmt: skip


def _order(result) -> list[str]:
    return [f"{r.username}:{r.filename.rsplit(chr(92), 1)[-1]}" for r in result.ranked]


def test_format_preference_follows_the_quality_profile():
    hires = _file(
        rf"{FOLDER}\hires Karma Police.flac", size=90_000_000, sample_rate=96000, bit_depth=24
    )
    files = [_mp3(192, name="a Karma Police"), _mp3(245, vbr=True, name="b Karma Police"),
             _mp3(320, name="c Karma Police"), hires, _file()]  # fmt: skip
    result = _rank([_peer(*files)])
    assert [r.breakdown["format"]["class"] for r in result.ranked] == [
        "flac", "flac-hires", "mp3-320", "mp3-v0", "mp3",
    ]  # fmt: skip


def test_format_beats_everything_after_it():
    slow_flac = _peer(_file(), user="slow", free=False, speed=5_000, queue=40)
    fast_mp3 = _peer(_mp3(320), user="fast", speed=9_000_000)
    assert _rank([fast_mp3, slow_flac]).best.username == "slow"


def test_duration_within_three_seconds_beats_a_free_slot():
    near = _peer(_file(length=265), user="near", free=False)
    far = _peer(_file(length=268), user="far", free=True)
    assert _order(_rank([far, near]))[0].startswith("near")


def test_free_slot_beats_reliability():
    free = _peer(_file(), user="free", free=True)
    proven = _peer(_file(), user="proven", free=False)
    stats = {"proven": PeerStat(successes=10)}
    assert _rank([proven, free], peer_stats=stats).best.username == "free"


def test_one_failure_lowers_a_peer_below_unknown_and_proven_peers():
    stats = {"failed": PeerStat(successes=5, failures=1), "proven": PeerStat(successes=3)}
    speeds = {"failed": 9_000_000, "unknown": 2_000_000, "proven": 1_100_000}
    responses = [_peer(_file(), user=user, speed=speed) for user, speed in speeds.items()]
    result = _rank(responses, peer_stats=stats)
    assert [r.username for r in result.ranked] == ["proven", "unknown", "failed"]


def test_upload_speed_then_queue_length():
    responses = [
        _peer(_file(), user="slow", speed=100_000),
        _peer(_file(), user="queued", speed=2_000_000, queue=12),
        _peer(_file(), user="fast", speed=2_000_000, queue=0),
    ]
    assert [r.username for r in _rank(responses).ranked] == ["fast", "queued", "slow"]


def test_text_similarity_prefers_the_wanted_album_folder():
    other = _file(r"@@x\Radiohead\Best Of\06 Karma Police.flac")
    right = _file(rf"{FOLDER}\06 Karma Police.flac")
    result = _rank([_peer(other, user="a"), _peer(right, user="b")])
    assert result.best.username == "b"
    assert result.best.breakdown["similarity"]["album"] == 100


def test_wanted_preferences_rank_first_within_similarity():
    wanted = replace(WANTED, title="Karma Police - 2017 Remaster")
    plain = _file(rf"{FOLDER}\06 Karma Police.flac")
    remaster = _file(r"@@x\Radiohead\OK Computer OKNOTOK (2017 Remaster)\06 Karma Police.flac")
    result = _rank([_peer(plain, user="a"), _peer(remaster, user="b")], wanted=wanted)
    assert result.best.username == "b"


def test_file_size_is_the_last_step():
    responses = [_peer(_file(size=29_000_000), user="a"), _peer(_file(size=31_000_000), user="b")]
    assert _rank(responses).best.username == "b"


def test_breakdown_is_json_and_names_every_step_in_order():
    result = _rank([_peer(_file()), _peer(_mp3(320), user="bob")])
    for position, ranked in enumerate(result.ranked, start=1):
        data = json.loads(json.dumps(ranked.breakdown))
        assert list(data)[:8] == [
            "format", "duration", "free_slot", "reliability", "upload_speed", "queue",
            "similarity", "size",
        ]  # fmt: skip
        assert data["rank"] == position
        assert 0 <= data["score"] <= 1
        assert data["score"] == ranked.score


def test_ranking_does_not_depend_on_response_order():
    responses = [_peer(_file(), user=f"u{i}", speed=100_000 * (i + 1)) for i in range(6)]
    forward = [r.username for r in _rank(responses).ranked]
    backward = [r.username for r in _rank(list(reversed(responses))).ranked]
    assert forward == backward


# --- configuration -----------------------------------------------------------------------------


def test_from_config_reads_the_match_knobs():
    config = MatchConfig.from_config(
        {
            "MATCH_DURATION_TOLERANCE_S": 4.0,
            "MATCH_LIVE_DURATION_TOLERANCE_S": 12.0,
            "MATCH_CLOSE_DURATION_S": 2.0,
            "MATCH_MAX_QUEUE_LENGTH": 10,
            "MATCH_STRICT": True,
            "MATCH_ALLOWED_EXTENSIONS": [".FLAC", "mp3"],
            "MATCH_EXTRA_VERSION_MARKERS": ["VIP"],
            "MATCH_MAX_ATTEMPTS": 7,
        }
    )
    assert config.allowed_extensions == {"flac", "mp3"}
    assert (config.duration_tolerance_s, config.max_queue_length, config.strict) == (4.0, 10, True)
    assert config.markers.find_versions("song vip") == {"vip"}


def test_from_config_defaults_match_the_documented_defaults():
    assert MatchConfig.from_config() == MatchConfig()


# --- hostile input -----------------------------------------------------------------------------

_HOSTILE = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(["..", ".", "", "\\", "/", "@@x", "Radiohead", "Karma Police",
                              "(Live)", "\x00", "ǅ", "🎵", "ﬁ", "feat.", " - ", ".flac", "ft"]),
             max_size=12).map("".join),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_HOSTILE,
    size=st.integers(-(2**40), 2**40),
    length=st.none() | st.integers(-(2**31), 2**31),
    rate=st.none() | st.integers(-(2**31), 2**31),
    speed=st.integers(-(2**31), 2**31),
    queue=st.integers(-(2**31), 2**31),
    title=st.text(max_size=40),
)
def test_hostile_filenames_and_numbers_never_crash(name, size, length, rate, speed, queue, title):
    peer_file = PeerFile(filename=name, size=size, length=length, bit_rate=rate, sample_rate=rate)
    response = PeerResponse("x", True, speed, queue, (peer_file,), locked_files=(peer_file,))
    wanted = replace(WANTED, title=title)
    result = rank_candidates(wanted, [response], profile=QualityProfile())
    assert len(result.ranked) + len(result.rejected) == 1
    for ranked in result.ranked:
        json.dumps(ranked.breakdown)
        assert ".." not in split_peer_path(ranked.filename)


def test_split_peer_path_handles_both_separators():
    assert split_peer_path(r"@@a\Music/Artist\\01.flac") == ("@@a", "Music", "Artist", "01.flac")


@pytest.mark.parametrize("name", ["Dont Speak", "Don't Speak", "Don t Speak", "DON’T SPEAK"])
def test_apostrophes_are_matched_however_the_peer_wrote_them(name):
    for title in ("Don't Speak", "Dont Speak"):
        wanted = replace(WANTED, title=title, artists=("No Doubt",), album="Tragic Kingdom")
        path = rf"@@x\No Doubt\Tragic Kingdom\{name}.flac"
        assert _rank([_peer(_file(path))], wanted=wanted).ranked, (title, name)


def test_rejection_counts_summarise_reasons():
    files = [_file(length=300), _file(rf"{FOLDER}\a.jpg"), _file(rf"{FOLDER}\b.jpg")]
    assert _rank([_peer(*files)]).rejection_counts() == {
        "duration_mismatch": 1,
        "extension_not_allowed": 2,
    }


def test_rejections_closest_to_passing_come_first():
    files = [_file(rf"{FOLDER}\a.jpg"), _file(length=300), _file(rf"{FOLDER}\06 Other.flac")]
    reasons = [r.reason for r in _rank([_peer(*files)]).rejected]
    assert reasons == [
        RejectReason.DURATION_MISMATCH,
        RejectReason.TITLE_MISMATCH,
        RejectReason.EXTENSION_NOT_ALLOWED,
    ]


def test_every_reason_has_a_place_in_the_order():
    from downloads.matching.ranking import _REASON_ORDER

    assert set(_REASON_ORDER) == set(RejectReason)


def test_a_live_album_name_in_the_file_name_is_not_a_marker():
    wanted = replace(WANTED, title="Substitute", artists=("The Who",), album="Live at Leeds")
    path = r"@@x\Rips\The Who - Live at Leeds - 03 - Substitute.flac"
    assert _rank([_peer(_file(path))], wanted=wanted).ranked


def test_a_track_of_a_live_album_may_be_marked_live_but_need_not_be():
    wanted = replace(WANTED, title="Substitute", artists=("The Who",), album="Live at Leeds")
    marked = r"@@x\The Who\Leeds 1970\03 Substitute (Live).flac"
    plain = r"@@x\The Who\Live at Leeds\03 Substitute.flac"
    remix = r"@@x\The Who\Leeds 1970\03 Substitute (Remix).flac"
    result = _rank([_peer(_file(marked), _file(plain), _file(remix))], wanted=wanted)
    assert {r.filename for r in result.ranked} == {marked, plain}
    assert result.rejected[0].reason == RejectReason.UNWANTED_VERSION
