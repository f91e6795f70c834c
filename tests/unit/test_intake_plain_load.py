"""Intake loads a plain record without the schema's machinery (``plain_load``): whatever it
takes, it must take exactly as the schema does, and anything else must be left to the schema."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from hub.exchange.records.schemas import ExperienceInSchema
from hub.exchange.records.validation import plain_load
from tests.factories import experience_record

SCHEMA = ExperienceInSchema()

# Values that are valid somewhere, invalid elsewhere, or of another JSON type than expected.
_ODD = st.sampled_from(
    [
        None, True, False, 0, 1, 3, 5, 6, -1, 2.0, 4.5, "", " ", "x", "  x  ", "r1x2", "RXQ02",
        "rxq02", " 1-545611283 ", "1-545611283", "1-12", "2026-02-30", "2026-02", "2026-13",
        "2026-01-15", "2026-01-15T10:00:00", "2026-01-15T10:00:00Z", "2026-01-15T10:00:00+01:00",
        "not a date", "SW1A 1AA", "sw1a1aa", "ZZ", "regulator_use", "publish_anonymised",
        "equality_monitoring", "feedback", "public_task", "consent", "x" * 61, "x" * 101,
        "a\tb", " lead", "trail ", "\u00e9t\u00e9", [], ["safe"], [""], ["x" * 61], [1],
        ["regulator_use"], ["regulator_use", "unknown"], ["a"] * 21, {}, {"name": "Ward 3"},
        {"name": "Ward 3", "postcode": "SW1A 1AA"}, {"name": "Ward 3", "postcode": "nope"},
        {"concern": True}, {"concern": "yes"}, {"categories": ["neglect"]}, {"sex": "female"},
        {"sex": None, "other": 1}, {"scopes": ["regulator_use"]},
    ]
)  # fmt: skip

_PATHS = [
    ("partner_record_id",), ("location_id",), ("service",), ("service", "name"),
    ("service", "postcode"), ("service_type",), ("experience_date",), ("respondent_role",),
    ("collection_channel",), ("overall_experience",), ("sentiment",), ("key_questions",),
    ("condition_areas",), ("themes",), ("narrative",), ("safeguarding",),
    ("safeguarding", "concern"), ("safeguarding", "immediate_risk"),
    ("safeguarding", "categories"), ("equality",), ("equality", "sex"), ("equality", "age_band"),
    ("consent",), ("consent", "scopes"), ("consent", "obtained_at"), ("consent", "method"),
    ("consent", "lawful_basis"), ("consent", "notice_version"), ("unknown",),
    ("consent", "unknown"), ("service", "unknown"),
]  # fmt: skip
_DROP = object()


def _changed(base: dict[str, Any], changes: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    raw = copy.deepcopy(base)
    for path, value in changes:
        target: Any = raw
        for key in path[:-1]:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        if value is _DROP:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
    return raw


def _same_as_schema(raw: Any) -> None:
    loaded = plain_load(raw)
    if loaded is None:
        return  # left to the schema
    try:
        expected = SCHEMA.load(raw)
    except ValidationError as exc:  # pragma: no cover - what the test is for
        pytest.fail(f"plain_load took what the schema refuses: {exc.messages} for {raw!r}")
    assert loaded == expected


def test_the_plain_shape_is_taken_as_the_schema_takes_it():
    raw = experience_record()
    assert plain_load(raw) is not None
    _same_as_schema(raw)


def test_defaults_are_the_schemas():
    raw = experience_record(
        service_type=...,
        respondent_role=...,
        collection_channel=...,
        overall_experience=...,
        sentiment=...,
        key_questions=...,
        condition_areas=...,
        themes=...,
        safeguarding=...,
        equality=...,
        consent={"scopes": ["regulator_use"]},
    )
    assert plain_load(raw) is not None
    _same_as_schema(raw)


@settings(max_examples=600, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(_PATHS), _ODD | st.just(_DROP)), min_size=1, max_size=3
    )
)
def test_whatever_is_taken_is_taken_as_the_schema_takes_it(changes):
    _same_as_schema(_changed(experience_record(), changes))
