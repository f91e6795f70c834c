"""The chain check's fast canonical form is byte for byte the canonical form the hash covers."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.audit.chain import (
    CHAINED_FIELDS,
    canonical_json,
    event_body,
    event_details_json,
    event_hash,
    event_json,
)

OFFSETS = st.one_of(
    st.none(),
    st.just(UTC),
    st.integers(min_value=-23 * 60, max_value=23 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    ),
)
TIMES = st.datetimes(min_value=datetime(1, 1, 1), timezones=OFFSETS)
TEXT = st.text()  # any code point but lone surrogates: quotes, controls, é, emoji, U+2028
OPTIONAL_TEXT = st.one_of(st.none(), TEXT)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
DETAILS = st.one_of(st.dictionaries(TEXT, JSON, max_size=5), JSON)
ORGANISATIONS = st.one_of(st.none(), st.uuids(), TEXT)
# What a row holds is typed, but the hash is defined for any values; event_body has rules of its
# own for datetimes anywhere and for organisation_id, so any field may hold any of these.
ANYTHING = st.one_of(SCALARS, TIMES, st.uuids(), DETAILS)


def _fields(values: tuple[object, ...]) -> dict[str, object]:
    return dict(zip(CHAINED_FIELDS, values, strict=True))


@settings(max_examples=800)
@given(
    st.tuples(
        st.integers(min_value=1, max_value=2**63 - 1),
        TIMES,
        TEXT,
        ORGANISATIONS,
        TEXT,
        OPTIONAL_TEXT,
        OPTIONAL_TEXT,
        TEXT,
        OPTIONAL_TEXT,
        OPTIONAL_TEXT,
        DETAILS,
    )
)
def test_the_fast_form_of_an_event_is_its_canonical_json(values: tuple[object, ...]) -> None:
    fields = _fields(values)
    fast = event_json(*values)
    assert fast == canonical_json(event_body(fields))
    prev = hashlib.sha256(repr(values).encode()).hexdigest()
    assert hashlib.sha256((prev + fast).encode()).hexdigest() == event_hash(prev, fields)


@settings(max_examples=400)
@given(st.tuples(*([ANYTHING] * len(CHAINED_FIELDS))))
def test_the_fast_form_agrees_for_values_of_any_type(values: tuple[object, ...]) -> None:
    # A UUID outside organisation_id cannot be written: both forms refuse it alike.
    assert _outcome(lambda: event_json(*values)) == _outcome(
        lambda: canonical_json(event_body(_fields(values)))
    )


def _outcome(build: Callable[[], str]) -> tuple[str, str]:
    try:
        return "ok", build()
    except TypeError as exc:
        return "refused", str(exc)


@given(JSON)
def test_details_are_written_as_canonical_json(details: object) -> None:
    assert event_details_json(details) == canonical_json(details)


def test_times_keep_their_microseconds_and_ignore_the_zone() -> None:
    at = datetime(2026, 11, 22, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))
    values = (7, at, "a", uuid.UUID(int=1), "b", None, None, "success", None, None, {})
    assert '"occurred_at":"2026-11-22T03:04:05.000006Z"' in event_json(*values)
    assert '"occurred_at":"0999-01-01' not in event_json(7, datetime(999, 1, 1), *values[2:])
