"""The chain check reads each event exactly as it was hashed, whatever the event holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from hub.actor import system
from hub.audit.chain import canonical_json, event_body, event_hash
from hub.audit.merkle import tree_head
from hub.audit.models import AuditEvent, AuditHead, chained_columns
from hub.audit.seals import Seal, compare_seen, verify_against_seals
from hub.audit.services import Seen, _rows, head, record, verify, walk
from hub.db import make_engine, transaction

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
    {"details": {"i": 5}, "now": datetime(999, 12, 31, 23, 59, 59, 5, tzinfo=UTC)},
    {
        "details": {"i": 6},
        "now": datetime(1000, 1, 1, 8, 59, 59, tzinfo=timezone(timedelta(hours=9))),
    },
    {"details": {"i": 7}, "now": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)},
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


def _tamper_details(session, seq: int) -> None:
    edit = "UPDATE audit_events SET details = '{\"edited\": 1}' WHERE seq = :seq"
    session.execute(sa.text(edit), {"seq": seq})


@pytest.mark.parametrize("span", [1, 2, 3, 5])
def test_a_tampered_event_in_any_span_gives_the_answer_of_a_whole_walk(
    session_factory, db_session, span
):
    _write(session_factory)
    head = verify(db_session).head_seq
    for target in range(head - len(EVENTS) + 1, head + 1):
        db_session.begin_nested()
        _tamper_details(db_session, target)
        whole = verify(db_session, span=head + 1)
        spans = verify(db_session, span=span)
        db_session.rollback()
        assert not whole.ok
        assert (whole.first_bad_seq, whole.reason) == (target, "hash mismatch")
        assert spans == whole


@pytest.mark.parametrize("span", [2, 3])
def test_a_broken_link_between_spans_is_found(session_factory, db_session, span):
    _write(session_factory)
    head = verify(db_session).head_seq
    # The first event of a span points at another predecessor, and its own hash is
    # recomputed to match: only the link between the two spans is wrong.
    target = head - head % span + 1 if head % span else head - span + 1
    assert target > 1 and (target - 1) % span == 0
    row = db_session.execute(sa.select(*chained_columns()).where(AuditEvent.seq == target)).one()
    forged_prev = "f" * 64
    db_session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.seq == target)
        .values(prev_hash=forged_prev, hash=event_hash(forged_prev, row._asdict()))
    )
    result = verify(db_session, span=span)
    assert result == verify(db_session, span=head + 1)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, target, "hash mismatch")
    assert result.events == target - 1


def test_a_missing_event_at_a_span_edge_is_found(session_factory, db_session):
    _write(session_factory)
    head = verify(db_session).head_seq
    target = head - 3
    db_session.execute(sa.delete(AuditEvent).where(AuditEvent.seq == target))
    for span in (1, 2, 3, 4):
        result = verify(db_session, span=span)
        assert result == verify(db_session, span=head + 1)
        assert (result.first_bad_seq, result.reason) == (target, "missing or reordered")


def _seals_of(hashes: list[str]) -> list[Seal]:
    """A seal at every seq of the chain as it is now, with its tree head."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [Seal.of(m, h, m, at, tree_head(hashes[:m])) for m, h in enumerate(hashes, 1)]


@pytest.mark.parametrize("span", [1, 2, 3, 5, 64])
def test_the_walk_checks_seals_span_by_span_as_a_pass_of_their_own(
    session_factory, db_session, span
):
    _write(session_factory)
    _write(session_factory)
    hashes = list(db_session.scalars(sa.select(AuditEvent.hash).order_by(AuditEvent.seq)))
    seals = _seals_of(hashes)
    marks = [s.upto_seq for s in seals]
    done = walk(db_session, marks=marks, roots=marks, span=span, workers=1)
    assert done.seen is not None
    for m in marks:
        assert done.seen[m] == Seen(hashes[m - 1], m, tree_head(hashes[:m]))
    assert compare_seen(seals, done.seen) == verify_against_seals(db_session, seals) == []
    # A rewritten hash (a wrong tree head above it), then an event cut out (counts and the
    # events gone): every seal gets the answer a pass of its own gives.
    db_session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 5).values(hash="0" * 64))
    db_session.execute(sa.delete(AuditEvent).where(AuditEvent.seq == 9))
    done = walk(db_session, marks=marks, roots=marks, span=span, workers=1)
    assert done.seen is not None
    found = compare_seen(seals, done.seen)
    assert found == verify_against_seals(db_session, seals)
    reasons = {p.upto_seq: p.reason for p in found or []}
    assert reasons[5] == "the event's hash is not the sealed hash: rewritten"
    assert reasons[6] == "the Merkle root is not the tree head of the chain"
    assert reasons[9] == "the sealed event is gone"
    assert reasons[10].endswith(f"but {10} were sealed")


def test_worker_processes_give_the_same_answers(fresh_database_url):
    engine = make_engine(fresh_database_url)
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        _write(factory)
        _write(factory)
        with factory() as session:
            good = verify(session, workers=2, span=3)
            assert good == verify(session, workers=1)
            assert good.ok and good.events >= 2 * len(EVENTS)
        with transaction(factory) as session:
            _tamper_details(session, 7)
        with factory() as session:
            bad = verify(session, workers=2, span=3)
            assert bad == verify(session, workers=1)
            assert (bad.ok, bad.first_bad_seq, bad.reason) == (False, 7, "hash mismatch")
        # A cut across the edge of two spans, before the tampered event.
        with transaction(factory) as session:
            session.execute(sa.delete(AuditEvent).where(AuditEvent.seq.in_([3, 4])))
        with factory() as session:
            cut = verify(session, workers=2, span=3)
            assert cut == verify(session, workers=1)
            assert (cut.first_bad_seq, cut.reason, cut.events) == (3, "missing or reordered", 2)
    finally:
        engine.dispose()


def _created(connection, after: int, upto: int) -> list[int]:
    """A span check: the seqs of the span's events, as its own query reads them."""
    query = sa.select(AuditEvent.seq).where(AuditEvent.seq > after, AuditEvent.seq <= upto)
    return list(connection.scalars(query.order_by(AuditEvent.seq)))


def test_worker_processes_see_the_seals_and_run_the_span_check_as_one_process_does(
    fresh_database_url,
):
    engine = make_engine(fresh_database_url)
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        _write(factory)
        _write(factory)
        with factory() as session:
            hashes = list(session.scalars(sa.select(AuditEvent.hash).order_by(AuditEvent.seq)))
            marks = [1, 3, 4, 7, 8, len(hashes)]
            both = [
                walk(session, marks=marks, roots=marks, span_check=_created, span=3, workers=n)
                for n in (2, 1)
            ]
        assert both[0] == both[1]
        assert both[0].found == list(range(1, len(hashes) + 1))
        assert both[0].seen == {m: Seen(hashes[m - 1], m, tree_head(hashes[:m])) for m in marks}
    finally:
        engine.dispose()


def test_the_session_goes_on_after_a_mismatch_early_in_a_long_span(db_session):
    # Long enough that the database is still sending the span when the check stops early.
    head_seq, prev = head(db_session)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    rows = []
    for seq in range(head_seq + 1, head_seq + 12_001):
        fields = {
            "seq": seq, "occurred_at": at, "actor": "system:tests", "organisation_id": ORG,
            "action": "test.long", "object_type": "thing", "object_id": str(seq),
            "outcome": "success", "request_id": None, "ip": None, "details": {"n": seq % 7},
        }  # fmt: skip
        digest = event_hash(prev, fields)
        rows.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    db_session.execute(sa.insert(AuditEvent), rows)
    db_session.execute(sa.update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    _tamper_details(db_session, head_seq + 2)
    first = verify(db_session, workers=1)
    assert (first.first_bad_seq, first.reason) == (head_seq + 2, "hash mismatch")
    assert verify(db_session, workers=1) == first


def test_without_chunked_streaming_the_answers_are_the_same(
    session_factory, db_session, monkeypatch
):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the rows are streamed by psycopg on PostgreSQL only")
    from psycopg import pq

    _write(session_factory)
    streamed = verify(db_session)
    _tamper_details(db_session, streamed.head_seq - 2)
    streamed_bad = verify(db_session)
    monkeypatch.setattr(pq, "version", lambda: 160_000)  # libpq 16: no chunked rows
    assert verify(db_session) == streamed_bad
    assert (streamed_bad.first_bad_seq, streamed_bad.reason) == (
        streamed.head_seq - 2,
        "hash mismatch",
    )
    db_session.rollback()
    assert verify(db_session) == streamed
