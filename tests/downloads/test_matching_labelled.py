"""The labelled matching set through the real matcher (matching.md, "The measure")."""

from __future__ import annotations

from downloads.matching.ranking import MatchConfig, rank_candidates
from library.quality import QualityProfile
from tests.data.matching_cases import BEST, CASES, PEER_STATS, Case

# Decoys that pass the hard filters on purpose and must lose in the ranking instead.
RANKED_DECOYS = {"decoy:low_bitrate", "decoy:slow_peer"}


def _first_choice(case: Case) -> tuple[str | None, set[str], list[str]]:
    result = rank_candidates(
        case.wanted,
        case.responses(),
        profile=QualityProfile(),
        peer_stats=PEER_STATS,
        blocklist=case.blocklist,
        config=MatchConfig(),
    )
    labels = {(o.user, o.file.filename): o.label for o in case.offers}
    first = labels[(result.best.username, result.best.filename)] if result.best else None
    passed = {labels[(r.username, r.filename)] for r in result.ranked}
    wrongly_rejected = [
        f"{r.reason}: {r.filename}"
        for r in result.rejected
        if not labels[(r.username, r.filename)].startswith("decoy:")
    ]
    return first, passed, wrongly_rejected


def test_labelled_set_is_large_and_well_formed():
    assert len(CASES) >= 40
    for case in CASES:
        assert case.best.label == BEST
        assert any(o.label.startswith("decoy:") for o in case.offers), case.name


def test_first_choice_is_the_labelled_best_and_no_decoy_is_ever_chosen():
    hits, decoys_chosen, misses = 0, 0, []
    for case in CASES:
        first, _, _ = _first_choice(case)
        hits += first == BEST
        decoys_chosen += bool(first and first.startswith("decoy:"))
        if first != BEST:
            misses.append(f"{case.name}: chose {first}")
    share = hits / len(CASES)
    decoy_total = sum(o.label.startswith("decoy:") for c in CASES for o in c.offers)
    print(
        f"\nmatching labelled set: {len(CASES)} tracks, {decoy_total} decoys, "
        f"first choice = labelled best {hits}/{len(CASES)} ({share:.0%}), "
        f"decoys chosen {decoys_chosen}"
    )
    assert decoys_chosen == 0, misses
    assert share >= 0.95, misses


def test_filter_decoys_never_pass_and_good_files_are_never_rejected():
    for case in CASES:
        _, passed, wrongly_rejected = _first_choice(case)
        leaked = {label for label in passed if label.startswith("decoy:")} - RANKED_DECOYS
        assert not leaked, case.name
        assert not wrongly_rejected, (case.name, wrongly_rejected)
