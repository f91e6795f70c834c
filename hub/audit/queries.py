"""Reading the audit log: filters, pages, a streamed export, and its CSV form."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.chain import CHAINED_FIELDS, canonical_json, format_time
from hub.audit.models import AuditEvent
from hub.audit.services import record
from hub.paging import keyset_page

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


def iter_events(session: Session, where: EventFilter, batch: int = 2000) -> Iterator[AuditEvent]:
    """Every matching event in chain order, fetched in batches (a server-side cursor)."""
    stmt = where.apply(sa.select(AuditEvent)).order_by(AuditEvent.seq)
    result = session.scalars(stmt.execution_options(yield_per=batch))
    try:
        yield from result
    finally:
        result.close()


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


def export_csv(session: Session, actor: Actor, where: EventFilter) -> Iterator[bytes]:
    """Record the export of the log (``audit.exported``, with its filters and row count) and give
    its formula-safe CSV lines, read lazily: the caller commits, then streams them."""
    record(
        session,
        actor,
        "audit.exported",
        object_type="audit_log",
        details={"filters": where.to_dict(), "rows": count_events(session, where), "format": "csv"},
    )
    return csv_lines(iter_events(session, where))
