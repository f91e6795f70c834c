"""Vocabulary kinds as people type them on the command line."""

from __future__ import annotations

import pytest

from hub.vocab.kinds import FIELD_KINDS, KINDS, canonical_kind, is_valid_value


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("condition_area", "condition_area"),
        ("condition-areas", "condition_area"),
        ("condition_areas", "condition_area"),
        ("Themes", "theme"),
        ("service-types", "service_type"),
        ("key_questions", "key_question"),
        ("safeguarding-categories", "safeguarding_category"),
        ("age_band", "age_band"),
    ],
)
def test_kinds_are_recognised_however_they_are_typed(typed, kind):
    assert canonical_kind(typed) == kind


def test_unknown_kind_is_none():
    assert canonical_kind("favourite-colours") is None


def test_every_record_field_names_a_known_kind():
    assert set(FIELD_KINDS.values()) <= set(KINDS)


@pytest.mark.parametrize("value", ["mental-health", "85+", "well-led", "a1"])
def test_slug_values_are_valid(value):
    assert is_valid_value(value)


@pytest.mark.parametrize("value", ["", "Mental Health", "-lead", "x" * 61, "a_b"])
def test_other_values_are_not(value):
    assert not is_valid_value(value)
