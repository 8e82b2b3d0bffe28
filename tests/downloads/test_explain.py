"""Every reason code the HDM stores reads as a sentence in the UI."""

from __future__ import annotations

import pytest

from downloads import explain
from downloads.matching.ranking import RejectReason
from downloads.models import DeadReason


@pytest.mark.parametrize("code", list(RejectReason))
def test_every_rejection_reason_has_its_own_sentence(code):
    assert code in explain.REJECTIONS
    assert explain.rejection_text(code) == explain.REJECTIONS[code]


@pytest.mark.parametrize("code", list(DeadReason))
def test_every_dead_reason_has_its_own_sentence(code):
    assert code in explain.ERRORS


def test_every_blocking_candidate_failure_has_its_own_sentence():
    from downloads.stages.download import _BLOCKED

    for code in _BLOCKED:
        assert code.rstrip(":") in explain.FAILURES, code


def test_a_verification_failure_names_the_verifier_reason():
    text = explain.failure_text("verify:duration_mismatch")
    assert text.startswith("The delivered file failed verification")
    assert "length" in text


def test_an_unknown_code_still_reads_as_words():
    assert explain.error_text("slot_stuck") == "Slot stuck."


def test_score_breakdown_is_sentences_not_raw_values():
    score = {
        "score": 0.9,
        "format": {"class": "flac", "bit_rate": None, "bit_depth": 16, "sample_rate": 44100},
        "duration": {"tier": 2, "difference_s": 0.0},
        "free_slot": {"tier": 1},
        "queue": {"tier": 0, "length": 3},
    }
    rows = dict(explain.score_sentences(score))
    assert rows["Quality"] == "flac, 16-bit, 44.1 kHz."
    assert rows["Length"] == "0 s away from the wanted length."
    assert rows["Upload slot"] == "The peer has a free upload slot now."
    assert rows["Peer queue"] == "3 file(s) queued before yours."
    assert "None" not in " ".join(rows.values()) and "tier" not in " ".join(rows.values())


def test_a_parent_reports_its_children_and_is_not_green_when_they_died():
    summary = {"done": 3, "dead": 9}
    assert explain.children_text(summary) == "3 done, 9 failed"
    assert explain.children_outcome("done", summary) == "failed"
    assert explain.children_outcome("done", {"dead": 12}) == "dead"
    assert explain.children_outcome("done", {"done": 2}) == "done"
    assert explain.children_text({"done": 1, "dead": 0, "queued": 2}) == (
        "1 done, 0 failed, 2 in progress"
    )


def test_file_attributes_read_as_words_without_unknown_values():
    attributes = {"extension": "flac", "bit_rate": None, "bit_depth": 16, "sample_rate": 44100}
    assert explain.quality_text(attributes) == "FLAC, 16-bit, 44.1 kHz"
    assert explain.quality_text({"bit_rate": 245, "is_variable_bit_rate": True, "length": 215}) == (
        "245 kbps VBR, 3:35"
    )
    assert explain.quality_text({}) == "Quality not reported"
