"""Album mode: one peer's complete folder first, per-track search for what is missing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from downloads.matching.albums import choose_album_folder
from downloads.matching.ranking import MatchConfig
from library.quality import QualityProfile
from providers.slskd.types import PeerFile, PeerResponse
from providers.types import TrackMeta

TITLES = [("Airbag", 284), ("Paranoid Android", 387), ("Subterranean Homesick Alien", 267)]
TRACKS = [
    TrackMeta(title=t, artists=("Radiohead",), album="OK Computer", duration_ms=s * 1000,
              track_number=n)
    for n, (t, s) in enumerate(TITLES, start=1)
]  # fmt: skip


def _flac(folder: str, number: int, title: str, secs: int, **fields) -> PeerFile:
    fields.setdefault("length", secs)
    return PeerFile(f"{folder}\\{number:02d} - {title}.flac", secs * 110_000,
                    sample_rate=44100, bit_depth=16, **fields)  # fmt: skip


def _album(folder: str, *, skip=(), lengths=None) -> list[PeerFile]:
    lengths = lengths or {}
    return [
        _flac(folder, n, t, s, length=lengths.get(t, s))
        for n, (t, s) in enumerate(TITLES, start=1)
        if t not in skip
    ]


def _peer(user, files, *, free=True, speed=2_000_000) -> PeerResponse:
    return PeerResponse(user, free, speed, 0, tuple(files))


def _choose(responses):
    return choose_album_folder(TRACKS, responses, profile=QualityProfile(), config=MatchConfig())


def test_a_complete_folder_beats_a_faster_peer_with_loose_tracks():
    complete = _peer("slowish", _album(r"@@s\Radiohead\OK Computer (1997)"), speed=300_000)
    partial = _peer("fast", _album(r"@@f\Radiohead\OK Computer", skip=("Airbag",)), speed=9_000_000)
    choice = _choose([partial, complete])
    assert choice.complete
    assert (choice.username, choice.directory) == ("slowish", r"@@s\Radiohead\OK Computer (1997)")
    assert [track.title for track, _ in choice.matches] == [t for t, _ in TITLES]
    assert choice.folders_considered == 2


def test_files_of_one_peer_in_two_folders_are_two_folders():
    files = _album(r"@@a\Radiohead\OK Computer", skip=("Airbag",))
    files += _album(
        r"@@a\Radiohead\Singles", skip=("Paranoid Android", "Subterranean Homesick Alien")
    )
    choice = _choose([_peer("a", files)])
    assert choice.directory == r"@@a\Radiohead\OK Computer"
    assert [t.title for t in choice.missing] == ["Airbag"]
    assert not choice.complete


def test_wrong_durations_do_not_count_as_present():
    files = _album(r"@@a\Radiohead\OK Computer", lengths={"Paranoid Android": 420})
    choice = _choose([_peer("a", files)])
    assert [t.title for t in choice.missing] == ["Paranoid Android"]


def test_non_audio_files_are_extras_and_never_gate_completion():
    folder = r"@@a\Radiohead\OK Computer"
    extras = [PeerFile(f"{folder}\\cover.jpg", 200_000), PeerFile(f"{folder}\\album.cue", 900),
              PeerFile(f"{folder}\\rip.nfo", 1_000)]  # fmt: skip
    choice = _choose([_peer("a", _album(folder) + extras)])
    assert choice.complete
    assert sorted(f.filename.rsplit("\\", 1)[-1] for f in choice.extras) == [
        "album.cue", "cover.jpg", "rip.nfo",
    ]  # fmt: skip


def test_between_complete_folders_the_better_quality_wins():
    mp3s = [PeerFile(f"@@m\\Radiohead - OK Computer\\{n:02d} {t}.mp3", s * 40_000, bit_rate=320,
                     length=s) for n, (t, s) in enumerate(TITLES, start=1)]  # fmt: skip
    flacs = _album(r"@@f\Radiohead\OK Computer [FLAC]")
    choice = _choose([_peer("mp3", mp3s, speed=9_000_000), _peer("flac", flacs, speed=500_000)])
    assert choice.username == "flac"


def test_nothing_matching_returns_every_track_as_missing():
    choice = _choose([_peer("a", [PeerFile(r"@@a\Other\Song.flac", 3_000_000, length=200)])])
    assert choice.username is None
    assert choice.missing == TRACKS
    assert not choice.complete


def test_one_file_is_never_used_for_two_tracks():
    tracks = [
        TrackMeta(title="Intro", artists=("X Band",), album="A", duration_ms=60_000),
        TrackMeta(title="Intro", artists=("X Band",), album="A", duration_ms=60_000),
    ]
    files = [PeerFile(r"@@a\X Band\A\01 Intro.flac", 6_600_000, length=60)]
    choice = choose_album_folder(tracks, [_peer("a", files)], profile=QualityProfile())
    assert len(choice.matches) == 1
    assert len(choice.missing) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=8), st.lists(st.integers(-5, 10**9), max_size=8))
def test_hostile_folders_never_crash(names, sizes):
    files = [PeerFile(name, size, length=284) for name, size in zip(names, sizes, strict=False)]
    choice = _choose([_peer("x", files)])
    assert len(choice.matches) + len(choice.missing) == len(TRACKS)
