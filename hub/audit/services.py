"""Writing audit events in the caller's transaction, and verifying the chain."""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.chain import CHAINED_FIELDS, event_hash
from hub.audit.models import GENESIS_HASH, AuditEvent, AuditHead, chained_columns
from hub.clock import utcnow

_PENDING = "audit_pending"
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


def _rows(session: Session, upto_seq: int, batch: int = 5000) -> Generator[sa.Row[Any], None, None]:
    """Every event in ``seq`` order, streamed; the server-side cursor is closed however we stop."""
    stmt = sa.select(*chained_columns()).where(AuditEvent.seq <= upto_seq).order_by(AuditEvent.seq)
    result = session.execute(stmt.execution_options(yield_per=batch))
    try:
        yield from result
    finally:
        result.close()


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


def _walk(rows: Iterator[sa.Row[Any]], head_seq: int, head_hash: str) -> Verification:
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    for row in rows:
        fields = row._asdict()
        if row.seq != expected_seq:
            bad = min(row.seq, expected_seq)
            return Verification(False, count, expected_seq - 1, prev, bad, "missing or reordered")
        if row.prev_hash != prev or event_hash(prev, fields) != row.hash:
            return Verification(False, count, expected_seq - 1, prev, row.seq, "hash mismatch")
        prev = row.hash
        expected_seq += 1
        count += 1
    if head_seq != count or head_hash != prev:
        bad = count + 1 if head_seq > count else head_seq
        return Verification(False, count, count, prev, bad, "chain shorter than its head")
    return Verification(True, count, count, prev)


def head(session: Session) -> tuple[int, str]:
    row = session.get(AuditHead, 1)
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)
