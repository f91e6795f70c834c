"""Writing audit events in the caller's transaction, and verifying the chain."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
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


class PlainEvent:
    """An event recorded in bulk (:func:`record_many`): the fields of an ``AuditEvent`` without
    the ORM's bookkeeping; chained and written like any other."""

    __slots__ = (*CHAINED_FIELDS, "prev_hash", "hash")
    seq: int | None
    occurred_at: datetime
    actor: str
    organisation_id: uuid.UUID | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    request_id: str | None
    ip: str | None
    details: dict[str, Any]
    prev_hash: str | None
    hash: str | None

    def __init__(self, **fields: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


def record_many(
    session: Session,
    actor: Actor,
    action: str,
    events: Iterable[tuple[str | uuid.UUID, dict[str, Any]]],
    *,
    object_type: str,
    organisation_id: uuid.UUID | None = _UNSET,
    now: datetime | None = None,
) -> None:
    """Many events of one action, as :func:`record` adds them: one per ``(object_id, details)``,
    chained with the transaction's other events and inserted with one statement."""
    at = (now or utcnow()).astimezone(UTC)
    org = actor.organisation_id if organisation_id is _UNSET else organisation_id
    pending = session.info.setdefault(_PENDING, [])
    for object_id, details in events:
        pending.append(
            PlainEvent(
                occurred_at=at,
                actor=actor.label,
                organisation_id=org,
                action=action,
                object_type=object_type,
                object_id=str(object_id),
                outcome="success",
                request_id=actor.request_id,
                ip=actor.ip,
                details=details,
            )
        )


def chain_pending(session: Session) -> list[AuditEvent]:
    """Give pending events their ``seq`` and ``hash`` now.

    Updating the head row serialises writers until this transaction ends, so call it as late as
    possible; it runs by itself just before every commit.
    """
    pending: list[AuditEvent | PlainEvent] = session.info.pop(_PENDING, [])
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
        # event_hash(prev, _fields(ev)), with the body written straight from the fields.
        body = event_json(*[getattr(ev, name) for name in CHAINED_FIELDS])
        ev.hash = hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
        prev = ev.hash
    # One multi-row insert, not an ORM object each: a batch's events are hundreds.
    session.execute(sa.insert(AuditEvent), [_row(ev) for ev in pending])
    session.execute(
        sa.update(AuditHead)
        .where(AuditHead.id == 1)
        .values(hash=prev)
        .execution_options(synchronize_session=False)
    )
    return [ev for ev in pending if isinstance(ev, AuditEvent)]


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


def _row(ev: AuditEvent | PlainEvent) -> dict[str, Any]:
    return {**_fields(ev), "prev_hash": ev.prev_hash, "hash": ev.hash}


def _fields(ev: AuditEvent | PlainEvent) -> dict[str, Any]:
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

# A check run on each span of ``seq`` beside the chain's, over the same connection and snapshot:
# (connection, after, upto) → what it found about the events with ``after < seq <= upto``.
SpanCheck = Callable[[sa.Connection, int, int], list[Any]]


@dataclass(frozen=True)
class Seen:
    """An event a check asked the walk to look at (a seal's or a checkpoint's): its hash (None
    if there is no event at that ``seq``), how many events there are up to it, and, if asked
    for, the RFC 9162 tree head over the hashes of events 1..``seq`` (None if it could not be
    had from the spans: events missing below it)."""

    hash: str | None
    count: int
    root: str | None = None


@dataclass(frozen=True)
class Walk:
    """What one pass over the chain found: its verification, the events asked for by ``seq``
    (None if events with ``seq <= 0`` exist, which the pass does not read), and what the span
    check found, span after span."""

    verification: Verification
    seen: dict[int, Seen] | None
    found: list[Any]


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
    return walk(session, workers=workers, span=span).verification


def walk(
    session: Session,
    *,
    marks: Iterable[int] = (),
    roots: Iterable[int] = (),
    span_check: SpanCheck | None = None,
    workers: int | None = None,
    span: int = SPAN,
) -> Walk:
    """``verify``, and in the same pass over the same snapshot: the hash and count of events at
    each ``seq`` of ``marks`` and ``roots`` (a seal's or checkpoint's), the Merkle tree head up
    to each of ``roots`` (computed span by span: each span gives the roots of its aligned
    perfect subtrees, and the joining pass folds them), and ``span_check`` on every span.

    Events above the head (there are none unless the head was edited) are read too when a mark
    or the span check asks for them, but are not part of the chain's verification.
    """
    head_seq, head_hash = head(session)
    wanted = set(marks) | set(roots)
    tree_marks = set(roots)
    top = head_seq
    seen: dict[int, Seen] | None = {}
    if wanted or span_check is not None:
        top = max(head_seq, max(wanted, default=0), _max_seq(session))
    if wanted and _below_one(session):
        wanted, tree_marks, seen = set(), set(), None
    tree_upto = max(tree_marks, default=0)
    bounds = [(lo, min(lo + span, top)) for lo in range(0, top, span)]
    tasks = [
        _SpanTask(
            lo,
            hi,
            hi <= head_seq,
            frozenset(m for m in wanted if lo < m <= hi),
            frozenset(m for m in tree_marks if lo < m <= hi),
            min(tree_upto, hi),
            span_check,
            # Counts up to a later mark need every row of this span.
            hi if any(m > hi for m in wanted) else min(max(wanted | {0}), hi),
        )
        for lo, hi in bounds
    ]
    # The spans are cut at the head: one that straddles it is split in two.
    tasks = [piece for task in tasks for piece in task.cut(head_seq)]
    workers = default_workers() if workers is None else workers
    parallel = _parallel_source(session, workers, len(tasks))
    everything = bool(wanted) or span_check is not None
    if parallel is None:
        results: Iterable[_SpanResult] = (
            task.run(session.connection() if isinstance(session, Session) else session)
            for task in tasks
        )
        return _assemble(results, head_seq, head_hash, seen)
    return _walk_in_processes(parallel, workers, tasks, head_seq, head_hash, seen, everything)


def _max_seq(session: Session) -> int:
    return int(session.execute(sa.select(sa.func.max(AuditEvent.seq))).scalar() or 0)


def _below_one(session: Session) -> bool:
    """Whether events with ``seq <= 0`` exist (the walk reads from 1: a seal's count would
    miss them, so the seals are then checked by a pass of their own)."""
    return (
        session.execute(sa.select(AuditEvent.seq).where(AuditEvent.seq <= 0).limit(1)).first()
        is not None
    )


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


# (leaves under it, root) of each aligned perfect subtree, left to right, sizes decreasing.
_Blocks = list[tuple[int, bytes]]


@dataclass(frozen=True)
class _SpanResult:
    span: Span
    seen: dict[int, tuple[str, int]]  # seq → (hash, events in this span up to it)
    rows: int
    trees: dict[int, _Blocks | None]  # seq → the span's subtrees up to it (None: a gap)
    blocks: _Blocks | None  # the span's subtrees up to its tree's end (None: a gap)
    found: list[Any]


@dataclass(frozen=True)
class _SpanTask:
    """One span of ``seq``, ``lo < seq <= hi``: checked as part of the chain (``chain``), the
    events at ``marks`` looked at, leaves up to ``tree_upto`` hashed into aligned subtrees."""

    lo: int
    hi: int
    chain: bool
    marks: frozenset[int]
    roots: frozenset[int]
    tree_upto: int
    span_check: SpanCheck | None
    read_to: int  # after a mismatch, rows are still read up to here (marks, counts, the tree)

    def cut(self, at: int) -> list[_SpanTask]:
        if not self.lo < at < self.hi:
            return [self]
        return [
            _SpanTask(
                lo,
                hi,
                hi <= at,
                frozenset(m for m in self.marks if lo < m <= hi),
                frozenset(m for m in self.roots if lo < m <= hi),
                min(self.tree_upto, hi),
                self.span_check,
                min(self.read_to, hi),
            )
            for lo, hi in ((self.lo, at), (at, self.hi))
        ]

    def run(self, connection: sa.Connection) -> _SpanResult:
        result = _check_span(
            _rows(connection, self.hi, self.lo),
            chain=self.chain,
            marks=self.marks,
            roots=self.roots,
            tree_from=self.lo,
            tree_upto=self.tree_upto,
            read_to=self.read_to,
        )
        if self.span_check is not None:
            found = self.span_check(connection, self.lo, self.hi)
            result = _SpanResult(
                result.span, result.seen, result.rows, result.trees, result.blocks, found
            )
        return result


def _check_span(
    rows: Iterator[_Checked],
    *,
    chain: bool = True,
    marks: frozenset[int] = frozenset(),
    roots: frozenset[int] = frozenset(),
    tree_from: int = 0,
    tree_upto: int = 0,
    read_to: int = 0,
) -> _SpanResult:
    """Hash every event of a span and check the links inside it; note the hash and count at
    each of ``marks``; hash the events up to ``tree_upto`` into the Merkle tree's aligned
    subtrees, from leaf ``tree_from`` (the event at ``seq = tree_from + 1``)."""
    first_seq: int | None = None
    first_prev = prev = ""
    expected = 0
    bad: tuple[int, str, int, str] | None = None
    checking = chain
    sha256 = hashlib.sha256
    counted = 0
    seen: dict[int, tuple[str, int]] = {}
    trees: dict[int, _Blocks | None] = {}
    tree = _SpanTree(tree_from) if tree_upto > tree_from else None
    # After a mismatch, rows are read on only as far as a mark, a count or the tree needs them.
    needed = max(read_to, tree_upto)
    try:
        for seq, body, prev_hash, digest in rows:
            counted += 1
            if checking:
                if first_seq is None:
                    first_seq = expected = seq
                    first_prev = prev = prev_hash
                if seq != expected:
                    bad = (min(seq, expected), "missing or reordered", expected - 1, prev)
                    checking = False
                # event_hash(prev, fields), with the body already in canonical form.
                elif (
                    prev_hash != prev or sha256((prev + body).encode("utf-8")).hexdigest() != digest
                ):
                    bad = (seq, "hash mismatch", expected - 1, prev)
                    checking = False
                else:
                    prev = digest
                    expected += 1
            if tree is not None and seq <= tree_upto:
                tree.add(seq, digest)
            if seq in marks:
                seen[seq] = (digest, counted)
                if seq in roots:
                    trees[seq] = tree.blocks() if tree is not None else None
            if not checking and seq >= needed:
                break
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    if bad is not None and first_seq is not None:
        bad_seq, reason, last_seq, last_hash = bad
        span = Span(first_seq, first_prev, last_seq, last_hash, bad_seq, reason)
    elif first_seq is None or not chain:
        span = Span(None, "", 0, "")
    else:
        span = Span(first_seq, first_prev, expected - 1, prev)
    blocks = tree.blocks() if tree is not None and tree.size == tree_upto else None
    return _SpanResult(span, seen, counted, trees, blocks, [])


class _SpanTree:
    """The aligned perfect subtrees of the leaves from ``start`` on, as they arrive (leaf
    ``m`` is the event at ``seq = m + 1``); a gap in ``seq`` spoils it."""

    def __init__(self, start: int) -> None:
        self.size = start  # the next leaf's index
        self.stack: _Blocks = []
        self.gap = False

    def add(self, seq: int, event_hash: str) -> None:
        if self.gap or seq != self.size + 1:
            self.gap = True
            return
        size = 1
        node = hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()
        position = self.size + 1  # leaves up to and with this one
        stack = self.stack
        while stack and stack[-1][0] == size and position % (size << 1) == 0:
            node = hashlib.sha256(b"\x01" + stack.pop()[1] + node).digest()
            size <<= 1
        stack.append((size, node))
        self.size = position

    def blocks(self) -> _Blocks | None:
        return None if self.gap else list(self.stack)


def _add_blocks(stack: _Blocks, blocks: _Blocks) -> _Blocks:
    """The subtrees of the leaves of ``stack`` followed by those of ``blocks`` (which begin
    where ``stack`` ends, each aligned): merged as ``TreeBuilder.add_leaf`` merges leaves."""
    stack = list(stack)
    for size, node in blocks:
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            node = hashlib.sha256(b"\x01" + left + node).digest()
            size += left_size
        stack.append((size, node))
    return stack


def _tree_head(stack: _Blocks) -> str:
    if not stack:
        return hashlib.sha256(b"").hexdigest()
    node = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        node = hashlib.sha256(b"\x01" + left + node).digest()
    return node.hex()


def _assemble(
    results: Iterable[_SpanResult],
    head_seq: int,
    head_hash: str,
    seen: dict[int, Seen] | None,
    *,
    everything: bool = True,
) -> Walk:
    """The chain's verification from the spans' summaries (``_join``), with the marks' hashes,
    counts and tree heads put together from every span's, in ``seq`` order."""
    summaries: list[Span] = []
    found: list[Any] = []
    counted = 0
    stack: _Blocks | None = []
    for result in results:
        summaries.append(result.span)
        found.extend(result.found)
        if seen is not None:
            for seq, (digest, count) in result.seen.items():
                root = None
                if seq in result.trees:
                    blocks = result.trees[seq]
                    if stack is not None and blocks is not None:
                        root = _tree_head(_add_blocks(stack, blocks))
                seen[seq] = Seen(digest, counted + count, root)
            if stack is not None:
                stack = None if result.blocks is None else _add_blocks(stack, result.blocks)
        counted += result.rows
        if not everything and result.span.bad_seq is not None:
            break
    return Walk(_join(summaries, head_seq, head_hash), seen, found)


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


def _walk_in_processes(
    source: tuple[str, str],
    workers: int,
    tasks: list[_SpanTask],
    head_seq: int,
    head_hash: str,
    seen: dict[int, Seen] | None,
    everything: bool,
) -> Walk:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    url, snapshot = source
    workers = min(workers, len(tasks))
    # Forked workers start at once with everything imported; _parallel_source forks only a
    # process with no other thread, whose locks no other thread can be holding.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        results = pool.map(_span_in_worker, [(url, snapshot, task) for task in tasks])
        try:
            return _assemble(results, head_seq, head_hash, seen, everything=everything)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+")
_worker_engines: dict[str, sa.Engine] = {}


def _span_in_worker(job: tuple[str, str, _SpanTask]) -> _SpanResult:
    """One span, hashed in a worker process over its own connection."""
    url, snapshot, task = job
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
        return task.run(connection)


def head(session: Session) -> tuple[int, str]:
    row = session.get(AuditHead, 1)
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)
