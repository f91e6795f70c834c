"""The chain check reads each event exactly as it was hashed, whatever the event holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from hub.actor import system
from hub.audit.chain import canonical_json, event_body
from hub.audit.models import AuditEvent, chained_columns
from hub.audit.services import _rows, record, verify
from hub.db import transaction

ORG = uuid.UUID("6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90")
EVENTS = [
    {"details": {}, "organisation_id": None},
    {"details": {"b": [1, 2.5, None, True], "a": {"z": "é", "y": '\u2028"\\'}}},
    {"details": {"ünïcødé": "日本語 🙂", "n": -12345678901234567}, "object_id": "x\ty"},
    {"details": {"nested": {"deep": [{"k": None}], "e": 1e-7}}, "organisation_id": ORG},
    {"details": {"i": 1}, "now": datetime(2026, 3, 29, 1, 30, 0, 1, tzinfo=UTC)},
    {"details": {"i": 2}, "now": datetime(2026, 6, 1, 23, 59, 59, 999999, tzinfo=UTC)},
    {"details": {"i": 3}, "now": datetime(2026, 6, 2, 8, 0, tzinfo=timezone(timedelta(hours=9)))},
    {"details": {"i": 4}, "now": datetime(2026, 6, 2, 8, 0, 0, 500000, tzinfo=UTC)},
]


def _write(session_factory) -> None:
    actor = system("tests").with_request("req-é-1", "2001:db8::1")
    for n, spec in enumerate(EVENTS):
        with transaction(session_factory) as session:
            record(
                session,
                actor,
                "test.varied",
                object_type="thing",
                object_id=spec.get("object_id", str(n)),
                details=spec["details"],
                organisation_id=spec.get("organisation_id", ORG),
                now=spec.get("now"),
            )


def test_every_event_is_read_in_the_form_that_was_hashed(session_factory, db_session):
    _write(session_factory)
    result = verify(db_session)
    assert result.ok
    ours = db_session.execute(sa.select(*chained_columns()).order_by(AuditEvent.seq)).all()
    checked = list(_rows(db_session, result.head_seq))
    assert len(checked) == len(ours) == result.events
    for row, (seq, body, prev_hash, digest) in zip(ours, checked, strict=True):
        assert (seq, prev_hash, digest) == (row.seq, row.prev_hash, row.hash)
        assert body == canonical_json(event_body(row._asdict()))


@pytest.mark.parametrize(
    "tamper",
    [
        'UPDATE audit_events SET details = \'{"nested": {"deep": [{"k": 0}], "e": 1e-7}}\' '
        "WHERE seq = :seq",
        "UPDATE audit_events SET occurred_at = occurred_at + interval '1 microsecond' "
        "WHERE seq = :seq",
        "UPDATE audit_events SET organisation_id = NULL WHERE seq = :seq",
    ],
    ids=["nested-details", "one-microsecond", "organisation"],
)
def test_small_edits_are_found_at_their_seq(session_factory, db_session, tamper):
    _write(session_factory)
    target = verify(db_session).events - len(EVENTS) + 4  # the nested-details event
    if db_session.get_bind().dialect.name == "sqlite" and "interval" in tamper:
        pytest.skip("SQLite stores times as text: the edit is written differently there")
    db_session.execute(sa.text(tamper), {"seq": target})
    result = verify(db_session)
    assert not result.ok
    assert result.first_bad_seq == target
    assert result.reason == "hash mismatch"
