"""Writing audit events in the caller's transaction, and verifying the chain."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import uuid
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

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
# Savepoints open in the session: how many events were pending when each began.
_MARKS = "audit_savepoint_marks"
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
    # A savepoint's release is not the end of the transaction: its events wait for the
    # transaction's own commit, so a request extends the chain once, as late as it can.
    if not session.in_nested_transaction():
        chain_pending(session)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = len(session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Events recorded inside a savepoint that rolled back go with it; those recorded before it
    stay pending. A transaction that rolls back drops them all."""
    if previous_transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(previous_transaction, None)
        pending = session.info.get(_PENDING)
        if mark is not None and pending:
            del pending[mark:]
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_MARKS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_marks(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_MARKS, None)


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


def _rows(
    source: Session | sa.Connection, upto_seq: int, after: int = 0, batch: int = 5000
) -> Generator[_Checked, None, None]:
    """The events with ``after < seq <= upto_seq`` in ``seq`` order as (seq, canonical body,
    prev_hash, hash), streamed; the query is ended however we stop."""
    connection = source.connection() if isinstance(source, Session) else source
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        yield from _pg_rows(connection.connection.driver_connection, upto_seq, after)
        return
    stmt = (
        sa.select(*chained_columns())
        .where(AuditEvent.seq > after, AuditEvent.seq <= upto_seq)
        .order_by(AuditEvent.seq)
    )
    result = connection.execute(stmt.execution_options(yield_per=batch))
    try:
        for seq, *fields, prev_hash, digest in result:
            yield seq, event_json(seq, *fields), prev_hash, digest
    finally:
        result.close()


# The chained columns in CHAINED_FIELDS order, as the hash wants them and cheap to fetch: the time
# as the body's JSON text of it, written by to_char for the years 1000 to 9999 (where it is
# format_time's text of the UTC time), else NULL and the UTC time without zone in the next
# column; the organisation id in PostgreSQL's text form (which is str() of a UUID); details as
# JSON text (parsed as the driver would, json.loads).
_PG_SELECT = (
    "SELECT seq, CASE WHEN occurred_at >= '1000-01-01Z' AND occurred_at < '10000-01-01Z' "
    "THEN '\"' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') "
    "|| 'Z\"' END, CASE WHEN occurred_at < '1000-01-01Z' OR occurred_at >= '10000-01-01Z' "
    "THEN occurred_at AT TIME ZONE 'UTC' END, actor, organisation_id::text, action, "
    "object_type, object_id, outcome, request_id, ip, details::text, prev_hash, hash "
    "FROM audit_events WHERE seq > %s AND seq <= %s ORDER BY seq"
)
_PG_FIELDS = (
    "seq", "occurred_at", "actor", "organisation_id", "action", "object_type", "object_id",
    "outcome", "request_id", "ip", "details",
)  # fmt: skip
if CHAINED_FIELDS != _PG_FIELDS:  # _PG_SELECT and _pg_rows follow this order
    raise RuntimeError("_PG_SELECT must follow CHAINED_FIELDS")


def _pg_rows(
    conn: Any, upto_seq: int, after: int = 0, batch: int = 2_000
) -> Generator[_Checked, None, None]:
    """The events as psycopg streams them, without SQLAlchemy rows; each body is
    event_json(...) of the row, spelled out for the column types PostgreSQL gives
    (tests/integration/test_audit_verify_fast.py checks the two agree)."""
    text = encode_basestring
    # Events repeat a handful of ``details`` shapes: their canonical form is worked out once.
    details_json: dict[str | None, str] = {}
    rows = _pg_fetch(conn, (after, upto_seq), batch)
    try:
        for (
            seq, at_json, at, actor, org, action, object_type, object_id, outcome, request_id,
            ip, details, prev_hash, digest,
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
                event_details_json(at) if at_json is None else at_json,
                "null" if org is None else text(org),
                text(outcome),
                "null" if request_id is None else text(request_id),
                seq,
            )
            yield seq, body, prev_hash, digest
    finally:
        rows.close()


def _pg_fetch(
    conn: Any, params: tuple[int, int], batch: int
) -> Generator[tuple[Any, ...], None, None]:
    """The rows of _PG_SELECT as tuples, streamed in chunks of ``batch`` rows (libpq 17 or
    later): the server goes on sending while this process hashes, where a server-side cursor
    makes each wait for the other at every fetch. Older libpq: a server-side cursor."""
    from psycopg import pq

    if pq.version() < 170_000:
        cursor = conn.cursor(name=f"audit_verify_{uuid.uuid4().hex}")
        try:
            cursor.itersize = batch
            cursor.execute(_PG_SELECT, params)
            yield from cursor
        finally:
            cursor.close()
        return
    rows = conn.cursor().stream(_PG_SELECT, params, size=batch)
    try:
        for row in rows:  # noqa: UP028 (``yield from`` would close the stream when we close)
            yield row
    finally:
        # Closing a stream before its end cancels the query, which aborts the caller's
        # transaction; after a mismatch the rest of the span is read instead.
        for _ in rows:
            pass


# Events per span: the chain is hashed span by span, in parallel when it is long.
SPAN = 100_000


def verify(session: Session, *, workers: int | None = None, span: int = SPAN) -> Verification:
    """Recompute the chain up to its head; report the first event that does not fit.

    The head is read first: events committed while the check runs lie beyond it and are left
    for the next verification, so a busy hub never looks broken.

    Each event's hash depends only on its own fields and its stored ``prev_hash``, so the chain
    is cut into spans of ``seq`` that are hashed independently (by ``workers`` processes at
    once, each reading its span over a connection of its own from the same snapshot, when the
    chain is longer than one span); then one pass joins the spans, checking that each begins
    where the one before it ended. The answer is the one a walk from the first event gives.
    """
    head_seq, head_hash = head(session)
    bounds = [(lo, min(lo + span, head_seq)) for lo in range(0, head_seq, span)]
    workers = default_workers() if workers is None else workers
    parallel = _parallel_source(session, workers, len(bounds))
    if parallel is None:
        spans: Iterator[Span] = (_check_span(_rows(session, hi, lo)) for lo, hi in bounds)
        return _join(spans, head_seq, head_hash)
    return _verify_in_processes(parallel, workers, bounds, head_seq, head_hash)


@dataclass(frozen=True)
class Span:
    """What hashing one span of the chain found, on its own: where it starts (its first event's
    ``seq`` and ``prev_hash``; ``first_seq`` None if it holds no event), the last event that
    fits (``last_seq``, ``last_hash``), and the first that does not, if any."""

    first_seq: int | None
    first_prev: str
    last_seq: int
    last_hash: str
    bad_seq: int | None = None
    reason: str | None = None


def _check_span(rows: Iterator[_Checked]) -> Span:
    """Hash every event of a span, and check the links inside it."""
    first_seq: int | None = None
    first_prev = prev = ""
    expected = 0
    sha256 = hashlib.sha256
    try:
        for seq, body, prev_hash, digest in rows:
            if first_seq is None:
                first_seq = expected = seq
                first_prev = prev = prev_hash
            if seq != expected:
                bad = min(seq, expected)
                return Span(first_seq, first_prev, expected - 1, prev, bad, "missing or reordered")
            # event_hash(prev, fields), with the body already in canonical form.
            if prev_hash != prev or sha256((prev + body).encode("utf-8")).hexdigest() != digest:
                return Span(first_seq, first_prev, expected - 1, prev, seq, "hash mismatch")
            prev = digest
            expected += 1
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    return Span(first_seq, first_prev, expected - 1, prev)


def _join(spans: Iterable[Span], head_seq: int, head_hash: str) -> Verification:
    """The chain's verification from its spans in ``seq`` order: each must begin with the
    event after the previous span's last, linked to that event's hash."""
    expected = 1
    prev = GENESIS_HASH
    for span in spans:
        if span.first_seq is None:
            continue
        done = expected - 1
        if span.first_seq != expected:
            bad = min(span.first_seq, expected)
            return Verification(False, done, done, prev, bad, "missing or reordered")
        if span.first_prev != prev:
            return Verification(False, done, done, prev, span.first_seq, "hash mismatch")
        if span.bad_seq is not None:
            return Verification(
                False, span.last_seq, span.last_seq, span.last_hash, span.bad_seq, span.reason
            )
        expected = span.last_seq + 1
        prev = span.last_hash
    count = expected - 1
    if head_seq != count or head_hash != prev:
        bad = count + 1 if head_seq > count else head_seq
        return Verification(False, count, count, prev, bad, "chain shorter than its head")
    return Verification(True, count, count, prev)


def default_workers() -> int:
    """Processes that hash spans at once: one per CPU, at most eight."""
    return max(1, min(os.cpu_count() or 1, 8))


def _parallel_source(session: Session, workers: int, spans: int) -> tuple[str, str] | None:
    """(database URL, PostgreSQL snapshot or "") for worker processes, or None to hash the
    spans in this process: a short chain, one worker, a process with other threads (a web
    worker: forking it is unsafe), or a database only this session sees (in memory, or a
    connection inside an outer transaction)."""
    if workers < 2 or spans < 2 or threading.active_count() > 1:
        return None
    bind = session.get_bind()
    if not isinstance(bind, sa.Engine):
        return None
    url = bind.url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return None
        # The session's transaction holds SQLite's write lock: nothing changes while workers read.
        session.execute(sa.select(AuditHead.seq).where(AuditHead.id == 1))
        return url.render_as_string(hide_password=False), ""
    if url.get_backend_name() != "postgresql" or bind.dialect.driver != "psycopg":
        return None
    # The workers read the very snapshot this transaction sees (it stays open until they end).
    snapshot = str(session.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one())
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        return None
    return url.render_as_string(hide_password=False), snapshot


def _verify_in_processes(
    source: tuple[str, str],
    workers: int,
    bounds: list[tuple[int, int]],
    head_seq: int,
    head_hash: str,
) -> Verification:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    url, snapshot = source
    workers = min(workers, len(bounds))
    # Forked workers start at once with everything imported; _parallel_source forks only a
    # process with no other thread, whose locks no other thread can be holding.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        spans = pool.map(_span_in_worker, [(url, snapshot, lo, hi) for lo, hi in bounds])
        try:
            return _join(spans, head_seq, head_hash)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+")
_worker_engines: dict[str, sa.Engine] = {}


def _span_in_worker(task: tuple[str, str, int, int]) -> Span:
    """One span, hashed in a worker process over its own connection."""
    url, snapshot, lo, hi = task
    engine = _worker_engines.get(url)
    if engine is None:
        from sqlalchemy.pool import NullPool

        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        engine = _worker_engines[url] = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        if snapshot:
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        return _check_span(_rows(connection, hi, lo))


def head(session: Session) -> tuple[int, str]:
    row = session.get(AuditHead, 1)
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)
