"""Scoring registry locations against a submitted service name and postcode."""

from __future__ import annotations

from hub.registry.matching_rules import (
    LINK_THRESHOLD,
    Candidate,
    decide,
    name_similarity,
    postcode_closeness,
)

WARD = Candidate("1-1", "St Mary's Hospital Riverside Ward", "SW1A 1AB")
HOME = Candidate("1-2", "Hill House Care Home", "SW1A 2BB")


def test_word_order_punctuation_and_possessives_do_not_matter():
    assert name_similarity("Riverside Ward, St Marys Hospital", WARD.name) == 1.0
    assert name_similarity("Hill House", "Riverside Ward") < 0.5


def test_postcodes_score_by_how_much_of_them_is_shared():
    assert postcode_closeness("sw1a1ab", "SW1A 1AB") == 1.0
    assert postcode_closeness("SW1A 1ZZ", "SW1A 1AB") == 0.9
    assert postcode_closeness("SW1A 2ZZ", "SW1A 1AB") == 0.75
    assert postcode_closeness("M1 1AE", "SW1A 1AB") == 0.0
    assert postcode_closeness(None, "SW1A 1AB") == 0.0


def test_a_clear_best_match_is_linked():
    decision = decide([WARD, HOME], "Riverside Ward St Mary's", "SW1A 1AB")
    assert decision.location_id == "1-1"
    assert decision.candidates[0].score >= LINK_THRESHOLD


def test_a_name_without_a_postcode_is_not_enough_to_link():
    decision = decide([WARD, HOME], "St Mary's Hospital Riverside Ward", None)
    assert decision.location_id is None
    assert [c.location_id for c in decision.candidates] == ["1-1"]


def test_two_equally_good_candidates_wait_for_a_person():
    twin = Candidate("1-3", WARD.name, WARD.postcode)
    decision = decide([WARD, twin], WARD.name, WARD.postcode)
    assert decision.location_id is None
    assert {c.location_id for c in decision.candidates} == {"1-1", "1-3"}
