"""Reading the audit log: filters, pages, a streamed export, and its CSV form."""

from __future__ import annotations

import bisect
import csv
import io
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor
from hub.audit.chain import CHAINED_FIELDS, canonical_json, format_time
from hub.audit.models import AuditEvent, AuditSeal
from hub.audit.services import record
from hub.keyset import keyset_page

CSV_COLUMNS = (
    "seq",
    "occurred_at",
    "actor",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "ip",
    "details",
    "prev_hash",
    "hash",
)
# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class EventFilter:
    """Which events to read. ``action`` may end in ``*`` (``dataset.*``); ``until`` is exclusive."""

    action: str | None = None
    organisation_id: uuid.UUID | None = None
    object_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        if self.action:
            if self.action.endswith("*"):
                prefix = self.action[:-1].replace("\\", "\\\\").replace("%", "\\%")
                prefix = prefix.replace("_", "\\_")
                stmt = stmt.where(AuditEvent.action.like(prefix + "%", escape="\\"))
            else:
                stmt = stmt.where(AuditEvent.action == self.action)
        if self.organisation_id is not None:
            stmt = stmt.where(AuditEvent.organisation_id == self.organisation_id)
        if self.object_id:
            stmt = stmt.where(AuditEvent.object_id == self.object_id)
        if self.actor:
            stmt = stmt.where(AuditEvent.actor == self.actor)
        if self.since is not None:
            stmt = stmt.where(AuditEvent.occurred_at >= self.since)
        if self.until is not None:
            stmt = stmt.where(AuditEvent.occurred_at < self.until)
        return stmt

    def to_dict(self) -> dict[str, Any]:
        """The filters that were set, as JSON values (for the audit of an export)."""
        values = {
            "action": self.action,
            "organisation_id": str(self.organisation_id) if self.organisation_id else None,
            "object_id": self.object_id,
            "actor": self.actor,
            "from": format_time(self.since) if self.since else None,
            "to": format_time(self.until) if self.until else None,
        }
        return {k: v for k, v in values.items() if v is not None}


def list_events(
    session: Session,
    where: EventFilter,
    *,
    limit: int,
    after: list[Any] | None = None,
    descending: bool = False,
) -> tuple[list[AuditEvent], list[Any] | None]:
    """One page of matching events in chain order (or newest first), and the next page's key."""
    stmt: Any = where.apply(sa.select(AuditEvent))
    keys: list[Any] = [AuditEvent.seq]
    rows: list[AuditEvent]
    rows, next_key = keyset_page(
        session, stmt, keys, limit=limit, after=after, descending=descending
    )
    return rows, next_key


def count_events(session: Session, where: EventFilter) -> int:
    stmt = where.apply(sa.select(sa.func.count()).select_from(AuditEvent))
    return int(session.execute(stmt).scalar_one())


def iter_events(
    reader: sessionmaker[Session], where: EventFilter, batch: int = 2000
) -> Iterator[AuditEvent]:
    """Every matching event in chain order, as the log stood when the first batch was read.

    Each batch is read in a short transaction of its own, ended before any of its events is
    handed on, so no transaction stays open while the caller works (or a client reads slowly,
    or goes away): between batches the hub holds nothing for this reader.
    """
    with reader() as session:
        head = session.scalar(sa.select(sa.func.max(AuditEvent.seq))) or 0
    after = 0
    while after < head:
        with reader() as session:
            stmt = where.apply(sa.select(AuditEvent)).where(
                AuditEvent.seq > after, AuditEvent.seq <= head
            )
            events = list(session.scalars(stmt.order_by(AuditEvent.seq).limit(batch)))
        if not events:
            return
        yield from events
        after = events[-1].seq


def event_dict(ev: AuditEvent) -> dict[str, Any]:
    return {name: getattr(ev, name) for name in (*CHAINED_FIELDS, "prev_hash", "hash")}


def formula_safe(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with ``'``, so it shows as text."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "details":
        text = canonical_json(value)
    elif isinstance(value, datetime):
        text = format_time(value)
    else:
        text = str(value)
    return formula_safe(text)


def csv_lines(events: Iterable[AuditEvent], rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The events as CSV (header first), in UTF-8 chunks of a few hundred rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    pending = 0
    for ev in events:
        data = event_dict(ev)
        writer.writerow([_cell(name, data[name]) for name in CSV_COLUMNS])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def export_csv(
    session: Session, actor: Actor, where: EventFilter, *, reader: sessionmaker[Session]
) -> Iterator[bytes]:
    """Record the export of the log (``audit.exported``, with its filters and row count) in the
    caller's transaction, and give its formula-safe CSV lines, read lazily through ``reader``
    (sessions of their own, each closed before its lines are given): the caller commits, then
    streams them."""
    record(
        session,
        actor,
        "audit.exported",
        object_type="audit_log",
        details={"filters": where.to_dict(), "rows": count_events(session, where), "format": "csv"},
    )
    return csv_lines(iter_events(reader, where))


def sealed_upto_seqs(session: Session) -> list[int]:
    """Every seal's ``upto_seq``, ascending."""
    return list(session.scalars(sa.select(AuditSeal.upto_seq).order_by(AuditSeal.upto_seq)))


def covering_seal(upto_seqs: Sequence[int], seq: int) -> int | None:
    """The first seal (by its ``upto_seq``) whose checkpoint includes event ``seq``, if any."""
    index = bisect.bisect_left(upto_seqs, seq)
    return upto_seqs[index] if index < len(upto_seqs) else None
