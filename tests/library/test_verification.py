"""Verified audio inside ingest: the fake-lossless policy, evidence, ReplayGain tags, album
gain and the library-wide re-verify, with real files, real tags and real moves."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import mutagen
import numpy as np
import pytest

from harmony_site.config import get_config
from library import album_gain, reverify, verification
from library.analysis import album_loudness
from library.models import LibraryFile, VerifyRun
from library.moving import file_hash
from library.quality import QualityProfile
from library.services import ingest_file
from tests.audio import write_pcm
from tests.audio_corpus import pink_noise, through_mp3
from tests.library.test_ingest import META, SOURCE

pytestmark = pytest.mark.django_db

RATE = 44_100


@pytest.fixture
def knobs(monkeypatch: pytest.MonkeyPatch):
    """Set configuration knobs for one test."""

    def set_knobs(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setitem(get_config().values, name, value)

    return set_knobs


def _noise(seconds: float = 2.0, *, seed: int = 1, level: float = 0.1) -> np.ndarray:
    return pink_noise(seconds, RATE, np.random.default_rng(seed), level=level)


def _transcoded_flac(folder: Path, name: str = "fake.flac") -> Path:
    """Pink noise that went through MP3 at 128 kbps and was saved as FLAC."""
    samples = through_mp3(_noise(), RATE, 128, folder)
    return write_pcm(folder / name, "flac", samples, sample_rate=RATE)


@pytest.mark.parametrize(
    "policy, status, suspect",
    [
        ("quarantine", "quarantined", None),
        ("flag", "imported", True),
        ("accept", "imported", False),
    ],
)
def test_fake_lossless_follows_the_profile_policy(library_dirs, policy, status, suspect):
    downloads, _ = library_dirs
    src = _transcoded_flac(downloads)

    result = ingest_file(
        src,
        meta=META,
        source=SOURCE,
        actor="job:7",
        profile=QualityProfile(fake_lossless=policy),
    )

    assert result.status == status
    if policy == "quarantine":
        assert result.reason == "fake_lossless" and "low-pass at 16" in result.detail
        reason = json.loads((downloads / ".quarantine" / "fake.flac.reason.json").read_text())
        assert reason["reason"] == "fake_lossless"
        assert LibraryFile.objects.count() == 0
        return
    row = result.library_file
    assert row.suspect is suspect
    # The evidence is stored whatever the policy; only the flag depends on it.
    assert row.analysis["spectrum"]["kind"] == "lossy_cutoff"
    assert 16_000 <= row.analysis["spectrum"]["cutoff_hz"] < 17_500
    assert row.analysis["flags"] == (["lossy_cutoff"] if suspect else [])
    assert row.analysed_at is not None


def test_genuine_flac_is_imported_unflagged_with_evidence_in_words(library_dirs):
    downloads, _ = library_dirs
    src = write_pcm(downloads / "real.flac", "flac", _noise(), sample_rate=RATE)

    row = ingest_file(src, meta=META, source=SOURCE, actor="job:7").library_file

    assert row.suspect is False and row.analysis["flags"] == []
    words = dict(verification.describe(row.analysis))
    assert words["Spectrum"].startswith("genuine: no low-pass shelf")
    assert words["Silence"].startswith("0.0 s of 2.0 s is digital silence")
    assert "LUFS" in words["Loudness"] and "track gain" in words["Loudness"]


def test_silent_delivery_is_flagged_not_refused(library_dirs):
    downloads, _ = library_dirs
    samples = np.zeros((2, RATE * 2))
    samples[:, : RATE // 10] = _noise(0.1)
    src = write_pcm(downloads / "silent.flac", "flac", samples, sample_rate=RATE)

    row = ingest_file(src, meta=META, source=SOURCE, actor="job:7").library_file

    assert row.suspect and row.analysis["flags"] == ["silence"]
    assert row.analysis["levels"]["silent_s"] == pytest.approx(1.9, abs=0.11)


def _tag_text(path: Path, fmt: str, name: str) -> str | None:
    audio = mutagen.File(path)
    if fmt in ("mp3", "wav"):
        frame = audio.tags.get(f"TXXX:{name}")
        return str(frame.text[0]) if frame else None
    if fmt in ("m4a", "alac"):
        atom = audio.tags.get(f"----:com.apple.iTunes:{name.lower()}")
        return bytes(atom[0]).decode() if atom else None
    values = audio.tags.get(name)
    return values[0] if values else None


@pytest.mark.parametrize("fmt", ["flac", "mp3", "m4a", "alac", "ogg", "wav"])
def test_track_replaygain_is_written_in_each_formats_convention(library_dirs, audio_file, fmt):
    downloads, music = library_dirs
    src = audio_file(fmt, directory=downloads, duration_s=2)

    row = ingest_file(src, meta=META, source=SOURCE, actor="job:7").library_file

    gain = row.analysis["track_gain_db"]
    path = music / row.path
    assert _tag_text(path, fmt, "REPLAYGAIN_TRACK_GAIN") == f"{gain:.2f} dB"
    peak = float(_tag_text(path, fmt, "REPLAYGAIN_TRACK_PEAK"))
    assert peak == pytest.approx(row.analysis["loudness"]["true_peak"], abs=1e-6)
    assert 0.09 < peak < 0.12  # the fixture's sine peaks at 0.1 of full scale
    # The stored hash and tag snapshot describe the file as written, ReplayGain included.
    assert row.content_hash == file_hash(path)


def test_opus_gets_r128_gain_relative_to_minus_23_lufs_and_no_replaygain_comments(
    library_dirs, audio_file
):
    downloads, music = library_dirs
    src = audio_file("opus", directory=downloads, duration_s=2)

    row = ingest_file(src, meta=META, source=SOURCE, actor="job:7").library_file

    tags = mutagen.File(music / row.path).tags
    q78 = int(tags["R128_TRACK_GAIN"][0])
    assert q78 == round((row.analysis["track_gain_db"] - 5.0) * 256)
    assert not [key for key, _ in tags if key.upper().startswith("REPLAYGAIN_")]


def test_replaygain_knob_off_writes_no_gain_but_keeps_the_evidence(library_dirs, knobs):
    downloads, music = library_dirs
    knobs(REPLAYGAIN=False)
    src = write_pcm(downloads / "a.flac", "flac", _noise(), sample_rate=RATE)

    row = ingest_file(src, meta=META, source=SOURCE, actor="job:7").library_file

    assert _tag_text(music / row.path, "flac", "REPLAYGAIN_TRACK_GAIN") is None
    assert row.analysis["loudness"]["integrated_lufs"] is not None


def test_analysis_knob_off_skips_the_checks(library_dirs, knobs):
    downloads, _ = library_dirs
    knobs(AUDIO_ANALYSIS=False)
    src = _transcoded_flac(downloads)

    row = ingest_file(
        src,
        meta=META,
        source=SOURCE,
        actor="job:7",
        profile=QualityProfile(fake_lossless="quarantine"),
    ).library_file

    assert row.analysis == {} and row.analysed_at is None and not row.suspect


def _album_track(downloads: Path, number: int, level: float) -> Path:
    samples = _noise(3, seed=number, level=level)
    return write_pcm(downloads / f"{number}.flac", "flac", samples, sample_rate=RATE)


def test_album_gain_is_written_to_every_file_once_the_album_is_complete(library_dirs, monkeypatch):
    downloads, music = library_dirs
    queued: list[tuple] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kw: queued.append(args))
    album_meta = replace(META, track_total=2, duration_ms=3000)
    rows = []
    for number, level in ((1, 0.2), (2, 0.02)):
        meta = replace(album_meta, track_number=number, title=f"Track {number}", isrc="")
        meta = replace(meta, spotify_track_id=f"track{number}")
        result = ingest_file(
            _album_track(downloads, number, level), meta=meta, source=SOURCE, actor="job:7"
        )
        rows.append(result.library_file)
    album_id = rows[0].track.album_id

    assert album_gain.apply_album_gain(album_id) is True

    paths = [music / row.path for row in rows]
    lufs, peak = album_loudness(paths)
    expected = f"{-18.0 - lufs:.2f} dB"
    for row, path in zip(rows, paths, strict=True):
        assert _tag_text(path, "flac", "REPLAYGAIN_ALBUM_GAIN") == expected
        assert float(_tag_text(path, "flac", "REPLAYGAIN_ALBUM_PEAK")) == pytest.approx(peak)
        # Track gain stays the track's own; the row follows the rewritten file.
        row.refresh_from_db()
        assert _tag_text(path, "flac", "REPLAYGAIN_TRACK_GAIN") == (
            f"{row.analysis['track_gain_db']:.2f} dB"
        )
        assert row.content_hash == file_hash(path) and row.size == path.stat().st_size
        assert row.analysis["album_gain_db"] == pytest.approx(-18.0 - lufs)
    assert not [p for p in paths[0].parent.iterdir() if p.name.startswith(".harmony")]


def test_album_gain_waits_for_the_last_track(library_dirs):
    downloads, _ = library_dirs
    meta = replace(META, track_total=2, duration_ms=3000)
    row = ingest_file(
        _album_track(downloads, 1, 0.1), meta=meta, source=SOURCE, actor="job:7"
    ).library_file

    assert album_gain.apply_album_gain(row.track.album_id) is False
    assert "album_gain_db" not in LibraryFile.objects.get(pk=row.pk).analysis


def test_ingest_queues_album_gain_only_when_the_album_completes(
    library_dirs, monkeypatch, django_capture_on_commit_callbacks
):
    downloads, _ = library_dirs
    queued: list[tuple] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kw: queued.append(args))
    meta = replace(META, track_total=2, duration_ms=3000, isrc="")
    for number in (1, 2):
        track_meta = replace(meta, track_number=number, spotify_track_id=f"t{number}")
        track_meta = replace(track_meta, title=f"Track {number}")
        with django_capture_on_commit_callbacks(execute=True):
            ingest_file(
                _album_track(downloads, number, 0.1), meta=track_meta, source=SOURCE, actor="j"
            )
        assert len(queued) == number - 1
    assert queued[0][0] == "library.tasks.run_album_gain"


def test_reverify_analyses_every_file_with_progress_and_never_moves_one(library_dirs, knobs):
    downloads, music = library_dirs
    genuine = write_pcm(downloads / "real.flac", "flac", _noise(), sample_rate=RATE)
    fake = _transcoded_flac(downloads)
    knobs(AUDIO_ANALYSIS=False)  # files indexed without analysis, as before this feature
    rows = [
        ingest_file(
            path,
            meta=replace(META, title=title, spotify_track_id=title, isrc=""),
            source=SOURCE,
            actor="job:7",
        ).library_file
        for path, title in ((genuine, "real"), (fake, "fake"))
    ]
    knobs(AUDIO_ANALYSIS=True, QUALITY_FAKE_LOSSLESS="quarantine")
    run = reverify.start_reverify(actor="user:alice")

    run = reverify.reverify_library(run)

    assert (run.state, run.total, run.done, run.suspect, run.failed) == ("finished", 2, 2, 1, 0)
    real, bad = (LibraryFile.objects.get(pk=row.pk) for row in rows)
    assert not real.suspect and real.analysed_at is not None
    # "quarantine" is for deliveries: a library file is flagged and stays where it is.
    assert bad.suspect and bad.analysis["flags"] == ["lossy_cutoff"] and bad.state == "present"
    assert (music / bad.path).is_file()


def test_reverify_run_is_claimed_once(library_dirs):
    run = reverify.start_reverify(actor="system")
    reverify.reverify_library(run)
    VerifyRun.objects.filter(pk=run.pk).update(done=0)

    again = reverify.reverify_library(run)

    assert VerifyRun.objects.get(pk=again.pk).done == 0
