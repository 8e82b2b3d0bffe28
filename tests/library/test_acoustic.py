"""Acoustic fingerprints end to end: real `fpcalc` on generated audio, the same-recording
search, and the AcoustID + MusicBrainz check against faithful fakes on loopback."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import requests

from harmony_site.config import get_config
from library import fingerprint
from library.services import ingest_file
from providers import acoustid, musicbrainz
from providers.errors import ProviderAuthError
from providers.throttle import Throttle
from tests.audio import write_pcm
from tests.audio_corpus import music_like, through_mp3
from tests.fakes.acoustid import FakeAcoustid, FakeMusicBrainz, decode_fingerprint
from tests.library.test_ingest import META, SOURCE

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fpcalc") is None, reason="fpcalc is not installed"),
]

RATE = 44_100
KEY = "test-key"
WANTED = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"


def _song(seed: int) -> np.ndarray:
    return music_like(8, RATE, np.random.default_rng(seed))


def _raw(path: Path) -> list[int]:
    done = subprocess.run(["fpcalc", "-json", "-raw", str(path)], capture_output=True, text=True)
    return json.loads(done.stdout)["fingerprint"]


@pytest.fixture
def services(monkeypatch):
    """Fake AcoustID and MusicBrainz, wired in through the knobs, with a key configured."""
    with FakeAcoustid(api_keys=(KEY,)) as fake_acoustid, FakeMusicBrainz() as fake_mb:
        values = get_config().values
        monkeypatch.setitem(values, "ACOUSTID_URL", fake_acoustid.url + "/v2")
        monkeypatch.setitem(values, "MUSICBRAINZ_URL", fake_mb.url + "/ws/2")
        monkeypatch.setitem(values, "ACOUSTID_API_KEY", KEY)
        yield fake_acoustid, fake_mb


def test_same_recording_through_mp3_is_alike_and_another_song_is_not(tmp_path):
    song = write_pcm(tmp_path / "a.flac", "flac", _song(1), sample_rate=RATE)
    transcode = through_mp3(_song(1), RATE, 128, tmp_path)
    copy = write_pcm(tmp_path / "b.flac", "flac", transcode, sample_rate=RATE)
    other = write_pcm(tmp_path / "c.flac", "flac", _song(2), sample_rate=RATE)
    a, b, c = (fingerprint.fingerprint_file(p) for p in (song, copy, other))

    assert fingerprint.similarity(a.raw, b.raw) >= fingerprint.SAME_RECORDING
    assert fingerprint.similarity(a.raw, c.raw) < 0.7
    assert np.array_equal(fingerprint.load_stored(a.stored()), a.raw)


def test_fake_decodes_the_real_compressed_fingerprint(tmp_path):
    path = write_pcm(tmp_path / "a.flac", "flac", _song(3), sample_rate=RATE)
    packed = fingerprint.fingerprint_file(path, compressed=True).compressed

    assert decode_fingerprint(packed) == _raw(path)


def test_a_copy_of_an_owned_recording_is_found_whatever_its_tags(library_dirs):
    downloads, _ = library_dirs
    first = write_pcm(downloads / "a.flac", "flac", _song(4), sample_rate=RATE)
    owned = ingest_file(first, meta=replace(META, duration_ms=8000), source=SOURCE, actor="j")
    retagged = replace(
        META, title="Something Else", isrc="", spotify_track_id="x", duration_ms=8000
    )
    mp3 = through_mp3(_song(4), RATE, 320, downloads)
    second = write_pcm(downloads / "b.flac", "flac", mp3, sample_rate=RATE)

    row = ingest_file(second, meta=retagged, source=SOURCE, actor="j").library_file

    same = row.analysis["recording"]["same_recording"]
    assert [m["file_id"] for m in same] == [owned.library_file.pk]
    assert same[0]["similarity"] >= fingerprint.SAME_RECORDING
    assert row.fingerprint and owned.library_file.fingerprint


def test_acoustid_match_with_the_wanted_isrc_is_recorded(library_dirs, services):
    fake_acoustid, fake_mb = services
    downloads, _ = library_dirs
    src = write_pcm(downloads / "a.flac", "flac", _song(5), sample_rate=RATE)
    fake_acoustid.add_track(_raw(src), [WANTED])
    fake_mb.add_isrc(META.isrc, [WANTED])

    result = ingest_file(src, meta=replace(META, duration_ms=8000), source=SOURCE, actor="j")

    assert result.status == "imported"
    found = result.library_file.analysis["recording"]["acoustid"]
    assert found["verdict"] == "match" and found["recordings"] == [WANTED]
    lookup = fake_acoustid.requests_to("POST", r"/v2/lookup")[0]
    assert b"client=test-key" in lookup.body and b"meta=recordingids" in lookup.body


def test_a_confident_mismatch_quarantines_the_file_with_the_reason(library_dirs, services):
    fake_acoustid, fake_mb = services
    downloads, _ = library_dirs
    src = write_pcm(downloads / "a.flac", "flac", _song(6), sample_rate=RATE)
    fake_acoustid.add_track(_raw(src), [OTHER])  # the file is another recording
    fake_mb.add_isrc(META.isrc, [WANTED])

    result = ingest_file(src, meta=replace(META, duration_ms=8000), source=SOURCE, actor="j")

    assert (result.status, result.reason) == ("quarantined", "fingerprint_mismatch")
    assert OTHER in result.detail and META.isrc in result.detail
    reason = json.loads((downloads / ".quarantine" / "a.flac.reason.json").read_text())
    assert reason["reason"] == "fingerprint_mismatch"


def test_an_isrc_musicbrainz_does_not_know_never_refuses(library_dirs, services):
    fake_acoustid, _ = services
    downloads, _ = library_dirs
    src = write_pcm(downloads / "a.flac", "flac", _song(7), sample_rate=RATE)
    fake_acoustid.add_track(_raw(src), [OTHER])

    result = ingest_file(src, meta=replace(META, duration_ms=8000), source=SOURCE, actor="j")

    assert result.status == "imported"
    assert result.library_file.analysis["recording"]["acoustid"]["verdict"] == "unknown"


def test_an_invalid_key_leaves_the_file_unjudged(library_dirs, services, monkeypatch):
    monkeypatch.setitem(get_config().values, "ACOUSTID_API_KEY", "wrong-key")
    downloads, _ = library_dirs
    src = write_pcm(downloads / "a.flac", "flac", _song(8), sample_rate=RATE)

    result = ingest_file(src, meta=replace(META, duration_ms=8000), source=SOURCE, actor="j")

    found = result.library_file.analysis["recording"]["acoustid"]
    assert result.status == "imported" and found["verdict"] == "unknown"
    assert "invalid API key" in found["detail"]
    with pytest.raises(ProviderAuthError):
        acoustid.lookup("AQAAA0mUaEkSZSoA", 3, api_key="wrong-key")


def test_throttle_spaces_calls_by_its_interval():
    now, slept = [10.0], []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    pace = Throttle(0.4, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        pace.wait()
    now[0] += 5  # a quiet spell: the next call goes at once
    pace.wait()

    assert slept == [0.4, 0.4, 0.4]
    # Paced 10 % below the published limits of 3 and 1 requests per second.
    assert acoustid._pace.interval_s == pytest.approx(1.1 / 3)
    assert musicbrainz._pace.interval_s == pytest.approx(1.1)


def test_many_lookups_all_succeed_and_the_fake_enforces_the_limit(services, tmp_path):
    fake_acoustid, _ = services
    path = write_pcm(tmp_path / "a.flac", "flac", _song(9), sample_rate=RATE)
    fake_acoustid.add_track(_raw(path), [WANTED])
    packed = fingerprint.fingerprint_file(path, compressed=True)

    answers = [acoustid.lookup(packed.compressed, packed.duration_s, api_key=KEY) for _ in range(7)]

    assert all(found and found[0].recording_ids == (WANTED,) for found in answers)
    # A client that does not pace itself is refused with the service's error shape.
    url = fake_acoustid.url + "/v2/lookup"
    form = {"client": KEY, "duration": "8", "fingerprint": packed.compressed}
    refused = [
        reply.json()
        for reply in (requests.post(url, data=form, timeout=5) for _ in range(5))
        if reply.status_code == 429
    ]
    assert refused and refused[0]["error"]["code"] == 14 and refused[0]["status"] == "error"


def test_without_fpcalc_the_other_checks_still_run(library_dirs, monkeypatch):
    monkeypatch.setattr(fingerprint, "fpcalc_path", lambda: None)
    downloads, _ = library_dirs
    src = write_pcm(downloads / "a.flac", "flac", _song(10), sample_rate=RATE)

    row = ingest_file(
        src, meta=replace(META, duration_ms=8000), source=SOURCE, actor="j"
    ).library_file

    assert row.analysis["recording"] == {
        "status": "unavailable",
        "detail": "fpcalc is not installed",
    }
    assert row.fingerprint == "" and row.analysis["spectrum"]["kind"] == "ok"
