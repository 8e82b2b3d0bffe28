"""The audio analysers on generated audio: fake lossless, loudness, silence and clipping."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from library.analysis import album_loudness, analyse_file
from library.analysis.levels import LevelMeter
from library.analysis.loudness import LoudnessMeter
from tests.audio import write_pcm
from tests.audio_corpus import CorpusFile, build_corpus, music_like, pink_noise


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusFile]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def test_fake_lossless_corpus_is_caught_without_false_positives(corpus: list[CorpusFile]) -> None:
    # The numbers docs/library.md states: 66 files, every fake caught, no genuine file flagged.
    verdicts = {f.label: analyse_file(f.path).spectrum for f in corpus}
    fakes = [f for f in corpus if f.fake]
    genuine = [f for f in corpus if not f.fake]
    missed = [f.label for f in fakes if not verdicts[f.label].suspect]
    false_alarms = [f.label for f in genuine if verdicts[f.label].suspect]
    assert len(corpus) >= 60
    assert (len(fakes), len(genuine)) == (48, 18)
    assert missed == []
    assert false_alarms == []


def test_mp3_transcodes_report_the_encoders_low_pass(corpus: list[CorpusFile]) -> None:
    cutoffs = {
        kbps: analyse_file(
            next(f.path for f in corpus if f.label == f"noise-1 mp3-{kbps}")
        ).spectrum.cutoff_hz
        for kbps in (128, 192, 320)
    }
    assert 16_000 <= cutoffs[128] < 17_500
    assert 18_500 <= cutoffs[192] < 19_500
    assert 19_800 <= cutoffs[320] < 20_800


def test_upsampled_file_names_its_likely_source_rate(corpus: list[CorpusFile]) -> None:
    verdict = analyse_file(next(f.path for f in corpus if f.label == "music-0 upsampled-96k"))
    assert verdict.spectrum.kind == "upsampled"
    assert "44.1 kHz" in verdict.spectrum.detail
    assert verdict.flags() == ["upsampled"]


def test_genuine_file_carries_a_spectrogram_thumbnail(corpus: list[CorpusFile]) -> None:
    verdict = analyse_file(corpus[0].path).spectrum
    assert verdict.kind == "ok"
    assert verdict.thumbnail  # base64 of the THUMB_ROWS x THUMB_COLUMNS levels


def _ffmpeg_ebur128(samples: np.ndarray, rate: int) -> dict[str, float]:
    """FFmpeg's ebur128 filter, the reference meter, through PyAV."""
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    graph = av.filter.Graph()
    source = graph.add_abuffer(
        format="fltp", sample_rate=rate, layout=layout, time_base=Fraction(1, rate)
    )
    meter = graph.add("ebur128", "metadata=1:peak=true")
    sink = graph.add("abuffersink")
    source.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    last: dict[str, str] = {}
    for start in [*range(0, samples.shape[1], 4096), None]:
        if start is None:
            graph.push(None)
        else:
            part = np.ascontiguousarray(samples[:, start : start + 4096], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(part, format="fltp", layout=layout)
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            graph.push(frame)
        while True:
            try:
                last = dict(graph.pull().metadata)
            except (av.BlockingIOError, av.EOFError):
                break
    return {"I": float(last["lavfi.r128.I"]), "TP": float(last["lavfi.r128.true_peak"])}


def _signals() -> list[tuple[str, np.ndarray, int]]:
    rng = np.random.default_rng(7)
    t = np.arange(5 * 48_000) / 48_000
    sine = 0.5 * np.sin(2 * np.pi * 997 * t)[None, :]
    quiet_gap = pink_noise(8, 44_100, rng, level=0.2)
    quiet_gap[:, 44_100 * 2 : 44_100 * 4] *= 0.01  # gated out by the relative gate
    return [
        ("sine 48k mono", sine, 48_000),
        ("pink 44.1k with a quiet gap", quiet_gap, 44_100),
        ("music 44.1k", music_like(6, 44_100, rng), 44_100),
        ("music 96k", music_like(4, 96_000, rng), 96_000),
        ("pink 22.05k", pink_noise(5, 22_050, rng, level=0.05), 22_050),
    ]


@pytest.mark.parametrize("name, samples, rate", _signals(), ids=[s[0] for s in _signals()])
def test_loudness_agrees_with_ffmpeg_ebur128(name: str, samples: np.ndarray, rate: int) -> None:
    meter = LoudnessMeter(rate, samples.shape[0])
    for start in range(0, samples.shape[1], 10_007):  # chunks that split blocks anywhere
        meter.feed(samples[:, start : start + 10_007])
    ours = meter.result()
    reference = _ffmpeg_ebur128(samples, rate)
    assert ours.integrated_lufs == pytest.approx(reference["I"], abs=0.1)
    # FFmpeg prints true peak with 3 decimals; both oversample, with different filters.
    assert ours.true_peak == pytest.approx(reference["TP"], abs=0.01)
    assert ours.true_peak >= ours.sample_peak


def test_track_loudness_from_a_file_matches_the_reference(tmp_path: Path) -> None:
    samples = music_like(6, 44_100, np.random.default_rng(3))
    path = write_pcm(tmp_path / "a.flac", "flac", samples, sample_rate=44_100)
    analysis = analyse_file(path)
    reference = _ffmpeg_ebur128(samples, 44_100)["I"]
    assert analysis.loudness.integrated_lufs == pytest.approx(reference, abs=0.1)
    assert analysis.track_gain_db == pytest.approx(-18.0 - reference, abs=0.1)


def test_album_loudness_gates_the_tracks_as_one_programme(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    loud = pink_noise(20, 44_100, rng, level=0.15)
    soft = pink_noise(10, 44_100, rng, level=0.015)
    paths = [
        write_pcm(tmp_path / "1.flac", "flac", loud, sample_rate=44_100),
        write_pcm(tmp_path / "2.flac", "flac", soft, sample_rate=44_100),
    ]
    lufs, peak = album_loudness(paths)
    reference = _ffmpeg_ebur128(np.concatenate([loud, soft], axis=1), 44_100)
    # Gated as one programme the soft track falls under the relative gate: the album is
    # about as loud as the loud track, not the mean of the two. Blocks are per track (as
    # libebur128 merges them); the concatenated reference also has the three 400 ms blocks
    # that straddle the join, worth a few hundredths of a LU at these lengths.
    assert lufs == pytest.approx(reference["I"], abs=0.1)
    assert peak >= np.abs(loud).max() - 1e-3


def test_mostly_silent_file_is_flagged_with_its_evidence(tmp_path: Path) -> None:
    samples = np.zeros((2, 44_100 * 10))
    samples[:, : 44_100 // 2] = pink_noise(0.5, 44_100, np.random.default_rng(1))
    analysis = analyse_file(write_pcm(tmp_path / "s.flac", "flac", samples, sample_rate=44_100))
    assert analysis.levels.mostly_silent
    assert analysis.levels.silent_s == pytest.approx(9.5, abs=0.11)
    assert analysis.levels.longest_silence_s == pytest.approx(9.5, abs=0.11)
    assert "silence" in analysis.flags()
    assert analysis.loudness.integrated_lufs is not None


def test_heavily_clipped_file_is_flagged_and_a_clean_one_is_not(tmp_path: Path) -> None:
    t = np.arange(44_100 * 4) / 44_100
    wave = np.stack([np.sin(2 * np.pi * 220 * t)] * 2)
    clipped = np.clip(wave * 3, -1, 1)  # every crest flattened
    clean = wave * 0.99
    bad = analyse_file(write_pcm(tmp_path / "c.flac", "flac", clipped, sample_rate=44_100))
    good = analyse_file(write_pcm(tmp_path / "ok.flac", "flac", clean, sample_rate=44_100))
    assert bad.levels.heavily_clipped and "clipping" in bad.flags()
    assert bad.levels.clipped_runs >= 2 * 220 * 4 * 2 * 0.9  # two flat tops per cycle, 2 ch
    assert not good.levels.heavily_clipped and good.flags() == []


def test_clipped_runs_are_counted_once_across_chunk_boundaries() -> None:
    samples = np.zeros((1, 100))
    samples[0, 45:55] = 1.0  # one run of 10 full-scale samples
    whole, split = LevelMeter(1000, 1), LevelMeter(1000, 1)
    whole.feed(samples)
    for start in range(0, 100, 7):
        split.feed(samples[:, start : start + 7])
    assert whole.result() == split.result()
    assert (split.result().clipped_runs, split.result().clipped_samples) == (1, 10)
