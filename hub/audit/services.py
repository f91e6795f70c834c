"""Writing audit events in the caller's transaction, and verifying the chain."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.chain import (
    BODY_TEMPLATE,
    CHAINED_FIELDS,
    event_details_json,
    event_hash,
    event_json,
)
from hub.audit.models import GENESIS_HASH, AuditEvent, AuditHead, chained_columns
from hub.clock import utcnow

_PENDING = "audit_pending"
# One event as a chain check reads it: seq, canonical_json(event_body(...)), prev_hash, hash.
_Checked = tuple[int, str, str, str]
_UNSET: Any = object()


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | uuid.UUID | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    organisation_id: uuid.UUID | None = _UNSET,
    now: datetime | None = None,
) -> AuditEvent:
    """Add an audit event to the session's transaction; it is chained when the transaction commits.

    ``details`` must never hold personal data: ids, counts and codes only.
    """
    ev = AuditEvent(
        occurred_at=(now or utcnow()).astimezone(UTC),
        actor=actor.label,
        organisation_id=actor.organisation_id if organisation_id is _UNSET else organisation_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        outcome=outcome,
        request_id=actor.request_id,
        ip=actor.ip,
        details=details or {},
    )
    session.info.setdefault(_PENDING, []).append(ev)
    return ev


def chain_pending(session: Session) -> list[AuditEvent]:
    """Give pending events their ``seq`` and ``hash`` now.

    Updating the head row serialises writers until this transaction ends, so call it as late as
    possible; it runs by itself just before every commit.
    """
    pending: list[AuditEvent] = session.info.pop(_PENDING, [])
    if not pending:
        return []
    head = session.execute(
        sa.update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + len(pending))
        .returning(AuditHead.seq, AuditHead.hash)
        .execution_options(synchronize_session=False)
    ).one()
    seq = head.seq - len(pending)
    prev = head.hash
    for ev in pending:
        seq += 1
        ev.seq = seq
        ev.prev_hash = prev
        ev.hash = event_hash(prev, _fields(ev))
        prev = ev.hash
    session.add_all(pending)
    session.execute(
        sa.update(AuditHead)
        .where(AuditHead.id == 1)
        .values(hash=prev)
        .execution_options(synchronize_session=False)
    )
    return pending


@event.listens_for(Session, "before_commit")
def _chain_before_commit(session: Session) -> None:
    chain_pending(session)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _fields(ev: AuditEvent) -> dict[str, Any]:
    return {name: getattr(ev, name) for name in CHAINED_FIELDS}


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
        }


def _rows(session: Session, upto_seq: int, batch: int = 5000) -> Generator[_Checked, None, None]:
    """Every event in ``seq`` order as (seq, canonical body, prev_hash, hash), streamed; the
    server-side cursor is closed however we stop."""
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        yield from _pg_rows(connection.connection.driver_connection, upto_seq)
        return
    stmt = sa.select(*chained_columns()).where(AuditEvent.seq <= upto_seq).order_by(AuditEvent.seq)
    result = session.execute(stmt.execution_options(yield_per=batch))
    try:
        for seq, *fields, prev_hash, digest in result:
            yield seq, event_json(seq, *fields), prev_hash, digest
    finally:
        result.close()


# The chained columns in CHAINED_FIELDS order, as the hash wants them and cheap to fetch: the time
# in UTC without zone (format_time ignores the zone), the organisation id in PostgreSQL's text
# form (which is str() of a UUID), details as JSON text (parsed as the driver would, json.loads).
_PG_SELECT = (
    "SELECT seq, occurred_at AT TIME ZONE 'UTC', actor, organisation_id::text, action, "
    "object_type, object_id, outcome, request_id, ip, details::text, prev_hash, hash "
    "FROM audit_events WHERE seq <= %s ORDER BY seq"
)
_PG_FIELDS = (
    "seq", "occurred_at", "actor", "organisation_id", "action", "object_type", "object_id",
    "outcome", "request_id", "ip", "details",
)  # fmt: skip
if CHAINED_FIELDS != _PG_FIELDS:  # _PG_SELECT and _pg_rows follow this order
    raise RuntimeError("_PG_SELECT must follow CHAINED_FIELDS")


def _pg_rows(conn: Any, upto_seq: int, batch: int = 20_000) -> Generator[_Checked, None, None]:
    """The events from a psycopg server-side cursor in large batches, without SQLAlchemy rows;
    each body is event_json(...) of the row, spelled out for the column types PostgreSQL gives
    (tests/integration/test_audit_verify_fast.py checks the two agree)."""
    text = encode_basestring
    # Events repeat a handful of ``details`` shapes: their canonical form is worked out once.
    details_json: dict[str | None, str] = {}
    cursor = conn.cursor(name=f"audit_verify_{uuid.uuid4().hex}")
    try:
        cursor.execute(_PG_SELECT, (upto_seq,))
        while rows := cursor.fetchmany(batch):
            for (
                seq, at, actor, org, action, object_type, object_id, outcome, request_id, ip,
                details, prev_hash, digest,
            ) in rows:  # fmt: skip
                canonical = details_json.get(details)
                if canonical is None:
                    if len(details_json) > 10_000:
                        details_json.clear()
                    canonical = details_json[details] = (
                        "null" if details is None else event_details_json(json.loads(details))
                    )
                body = BODY_TEMPLATE % (
                    text(action),
                    text(actor),
                    canonical,
                    "null" if ip is None else text(ip),
                    "null" if object_id is None else text(object_id),
                    "null" if object_type is None else text(object_type),
                    f'"{at.isoformat(timespec="microseconds")}Z"'
                    if at.__class__ is datetime and at.tzinfo is None and at.year >= 1000
                    else event_details_json(at),
                    "null" if org is None else text(org),
                    text(outcome),
                    "null" if request_id is None else text(request_id),
                    seq,
                )
                yield seq, body, prev_hash, digest
    finally:
        cursor.close()


def verify(session: Session) -> Verification:
    """Recompute the chain up to its head; report the first event that does not fit.

    The head is read first: events committed while the walk runs lie beyond it and are left
    for the next verification, so a busy hub never looks broken.
    """
    head_seq, head_hash = head(session)
    rows = _rows(session, head_seq)
    try:
        return _walk(rows, head_seq, head_hash)
    finally:
        rows.close()


def _walk(rows: Iterator[_Checked], head_seq: int, head_hash: str) -> Verification:
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    sha256 = hashlib.sha256
    for seq, body, prev_hash, digest in rows:
        if seq != expected_seq:
            bad = min(seq, expected_seq)
            return Verification(False, count, expected_seq - 1, prev, bad, "missing or reordered")
        # event_hash(prev, fields), with the body already in canonical form.
        if prev_hash != prev or sha256((prev + body).encode("utf-8")).hexdigest() != digest:
            return Verification(False, count, expected_seq - 1, prev, seq, "hash mismatch")
        prev = digest
        expected_seq += 1
        count += 1
    if head_seq != count or head_hash != prev:
        bad = count + 1 if head_seq > count else head_seq
        return Verification(False, count, count, prev, bad, "chain shorter than its head")
    return Verification(True, count, count, prev)


def head(session: Session) -> tuple[int, str]:
    row = session.get(AuditHead, 1)
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)
