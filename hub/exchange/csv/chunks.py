"""Processing an uploaded CSV file in chunks that any number of workers take at once.

1. **Split** (one pass over the file): the header is checked, and the rows are copied to
   storage in chunks of ``chunk_rows`` (``.../chunk-00000.csv``...), each with a ``csv_chunks``
   row naming its rows. A row whose ``partner_record_id`` already appeared earlier in the file
   goes to one last ``repeats`` chunk instead, so the parallel chunks never hold the same record
   twice; a place where the file stops being CSV is kept as an ``unreadable`` chunk.
2. **Chunks**, in any order and on any worker: the heavy part of enrichment (redaction,
   sentiment) is done first with no transaction open; then one transaction locks the
   submission, stores the chunk's records, adds its counts and errors to the submission, and
   marks the chunk ``done``. A chunk done is never done again; one killed half-way is redone
   from the start, as its transaction never committed.
3. **Finish**, once every ``rows`` chunk is done: the ``repeats`` chunk (in file order, so a
   repeat is a replay or a conflict exactly as if the file had been read top to bottom), then
   the submission is closed: ``completed``, or ``failed`` for an unreadable file or a chunk
   that failed for good (the rows before are kept).

Progress is the submission's counts (``rows_done`` against ``rows_total``), as before.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.clock import utcnow
from hub.db import is_postgres, transaction
from hub.exchange.csv.messages import EQUALITY_DROPPED, explain, unmatched_service
from hub.exchange.csv.models import DONE, FAILED, PENDING, REPEATS, ROWS, UNREADABLE, CsvChunk
from hub.exchange.csv.template import check_header, column_of, is_blank, row_to_record
from hub.exchange.csv.upload import detect_encoding, fail_submission, text_of
from hub.exchange.records import intake
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.enrich import Precomputed, precompute
from hub.exchange.records.items import REJECTED, ItemResult
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import (
    COMPLETED,
    MAX_STORED_ERRORS,
    add_results,
    close_submission,
    submitted_by,
)
from hub.exchange.records.submissions import FAILED as FAILED_STATUS
from hub.exchange.records.validation import Rejection, validate_record
from hub.registry.keep_list import registry_keep_list
from hub.registry.lookup import match_service
from hub.storage import Storage
from hub.vocab.services import Vocabularies, load_vocabularies

CHUNK_ROWS = 500
CSV_CONTENT_TYPE = "text/csv"
GAVE_UP = (
    "Rows {first} to {last} could not be processed (the error was recorded for the hub's "
    "operators)."
)

Row = tuple[int, dict[str, str]]


def _processing(session: Session, submission_id: uuid.UUID, *, lock: bool) -> Submission | None:
    """The submission if it is still processing; locked for update when ``lock`` (SQLite's
    transactions hold the write lock from their start already)."""
    stmt = sa.select(Submission).where(Submission.id == submission_id)
    if lock and is_postgres(session):
        stmt = stmt.with_for_update()
    submission = session.scalars(stmt).first()
    if submission is None or submission.status != "processing" or not submission.storage_key:
        return None
    return submission


def pending_chunks(session: Session, submission_id: uuid.UUID) -> list[int]:
    """Indexes of the file's ``rows`` chunks still to do."""
    return list(
        session.scalars(
            sa.select(CsvChunk.index)
            .where(
                CsvChunk.submission_id == submission_id,
                CsvChunk.kind == ROWS,
                CsvChunk.status == PENDING,
            )
            .order_by(CsvChunk.index)
        )
    )


def split(
    session_factory: sessionmaker[Session],
    storage: Storage,
    submission_id: uuid.UUID,
    *,
    chunk_rows: int = CHUNK_ROWS,
    now: datetime | None = None,
) -> list[int] | None:
    """Split the file into chunks (unless done already); the ``rows`` chunks still to do, or
    None when the submission is not processing (closed, or failed on its header here)."""
    now = now or utcnow()
    with session_factory() as session:
        submission = _processing(session, submission_id, lock=False)
        if submission is None:
            return None
        key = submission.storage_key
        assert key is not None
        if (
            session.scalar(sa.select(CsvChunk.index).where(CsvChunk.submission_id == submission_id))
            is not None
        ):
            return pending_chunks(session, submission_id)
    header, parts, repeats, unreadable = _first_pass(storage, key, max(1, chunk_rows))
    problems = check_header(header)
    if not problems.ok:
        fail_submission(session_factory, submission_id, problems.errors, now)
        return None
    base = key.removesuffix(".csv")
    chunks: list[CsvChunk] = []
    for index, rows in enumerate([*parts, repeats]):
        if not rows:
            continue
        kind = ROWS if index < len(parts) else REPEATS
        name = f"{base}/chunk-{index:05d}.csv" if kind == ROWS else f"{base}/repeats.csv"
        # Named by its place in the file: a second split overwrites the same objects.
        storage.put_bytes(name, _chunk_bytes(header, rows), content_type=CSV_CONTENT_TYPE)
        numbers = [number for number, _ in rows]
        chunks.append(
            CsvChunk(
                submission_id=submission_id,
                index=index,
                kind=kind,
                storage_key=name,
                rows=numbers,
            )
        )
    if unreadable is not None:
        number, message = unreadable
        chunks.append(
            CsvChunk(
                submission_id=submission_id,
                index=len(parts) + 1,
                kind=UNREADABLE,
                status=DONE,
                rows=[number],
                error=message,
            )
        )
    with transaction(session_factory) as session:
        if _processing(session, submission_id, lock=True) is None:
            return None
        if (
            session.scalar(sa.select(CsvChunk.index).where(CsvChunk.submission_id == submission_id))
            is None
        ):
            session.add_all(chunks)
            session.flush()
        return pending_chunks(session, submission_id)


def _first_pass(
    storage: Storage, key: str, chunk_rows: int
) -> tuple[
    list[str],
    list[list[tuple[int, list[str]]]],
    list[tuple[int, list[str]]],
    tuple[int, str] | None,
]:
    encoding = detect_encoding(storage.iter_chunks(key))
    parts: list[list[tuple[int, list[str]]]] = []
    repeats: list[tuple[int, list[str]]] = []
    current: list[tuple[int, list[str]]] = []
    seen: set[str] = set()
    header: list[str] = []
    unreadable: tuple[int, str] | None = None
    number = 1
    with storage.open(key) as raw:
        text = text_of(raw, encoding)
        reader = csv.reader(text)
        try:
            header = [name.strip().lstrip("\ufeff") for name in next(reader, None) or []]
            pid_at = header.index("partner_record_id") if "partner_record_id" in header else None
            for number, cells in enumerate(reader, start=2):
                if is_blank(cells):
                    continue
                pid = cells[pid_at].strip() if pid_at is not None and pid_at < len(cells) else ""
                if pid and pid in seen:
                    repeats.append((number, cells))
                    continue
                seen.add(pid)
                current.append((number, cells))
                if len(current) >= chunk_rows:
                    parts.append(current)
                    current = []
        except csv.Error as exc:
            unreadable = (number, f"The file could not be read as CSV: {exc}.")
        finally:
            text.detach()
    if current:
        parts.append(current)
    return header, parts, repeats, unreadable


def _chunk_bytes(header: list[str], rows: Iterable[tuple[int, list[str]]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(cells for _, cells in rows)
    return out.getvalue().encode("utf-8")


def _read_chunk(storage: Storage, chunk: CsvChunk) -> list[Row]:
    assert chunk.storage_key is not None
    with storage.open(chunk.storage_key) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            reader = csv.reader(text)
            header = next(reader, None) or []
            cells = [dict(zip(header, row, strict=False)) for row in reader]
        finally:
            text.detach()
    return list(zip(chunk.rows, cells, strict=True))


def process_chunk(
    session_factory: sessionmaker[Session],
    storage: Storage,
    submission_id: uuid.UUID,
    index: int,
    *,
    config: IntakeConfig,
    now: datetime | None = None,
) -> bool:
    """Process one chunk unless it is done; whether it was processed here."""
    now = now or utcnow()
    with session_factory() as session:
        chunk = session.get(CsvChunk, (submission_id, index))
        if chunk is None or chunk.status != PENDING or chunk.kind == UNREADABLE:
            return False
        session.expunge(chunk)
        keep = registry_keep_list(session)
    rows = _read_chunk(storage, chunk)
    # The heavy part first, with no transaction open: chunks on other workers write meanwhile.
    ready = precompute([_narrative(cells) for _, cells in rows], keep)
    with transaction(session_factory) as session:
        submission = _processing(session, submission_id, lock=True)
        current = session.get(CsvChunk, (submission_id, index))
        if submission is None or current is None or current.status != PENDING:
            return False
        _ingest(session, submission, rows, config, now, ready)
        current.status = DONE
        current.done_at = utcnow()
        current.done_by = f"{socket.gethostname()}:{os.getpid()}"[:300]
    return True


def _narrative(cells: dict[str, str]) -> str:
    return str(row_to_record(cells)[0].get("narrative") or "")


def give_up_chunk(
    session_factory: sessionmaker[Session], submission_id: uuid.UUID, index: int
) -> None:
    """Mark a chunk that failed for good: the file is closed as failed at the end."""
    with transaction(session_factory) as session:
        chunk = session.get(CsvChunk, (submission_id, index))
        if chunk is not None and chunk.status == PENDING:
            chunk.status = FAILED


def finish(
    session_factory: sessionmaker[Session],
    storage: Storage,
    submission_id: uuid.UUID,
    *,
    config: IntakeConfig,
    now: datetime | None = None,
) -> Submission | None:
    """Once every ``rows`` chunk is over: the repeats, then close the file (idempotent)."""
    now = now or utcnow()
    with transaction(session_factory) as session:
        submission = _processing(session, submission_id, lock=True)
        if submission is None or pending_chunks(session, submission_id):
            return None
        chunks = session.scalars(
            sa.select(CsvChunk)
            .where(CsvChunk.submission_id == submission_id)
            .order_by(CsvChunk.index)
        ).all()
        for chunk in chunks:
            if chunk.kind == REPEATS and chunk.status == PENDING:
                _ingest(session, submission, _read_chunk(storage, chunk), config, now, None)
                chunk.status = DONE
        errors = [
            {"row": 0, "column": "", "message": GAVE_UP.format(first=c.rows[0], last=c.rows[-1])}
            for c in chunks
            if c.status == FAILED and c.rows
        ]
        errors += [
            {"row": c.rows[0] if c.rows else 0, "column": "", "message": c.error or ""}
            for c in chunks
            if c.kind == UNREADABLE
        ]
        # Chunks finish in any order: the report lists rows in the file's order.
        submission.errors = sorted([*submission.errors, *errors], key=lambda e: e["row"])[
            :MAX_STORED_ERRORS
        ]
        submission.warnings = sorted(submission.warnings or [], key=lambda w: w["row"])
        status = FAILED_STATUS if errors else COMPLETED
        close_submission(session, submitted_by(submission), submission, now=now, status=status)
        keys = [c.storage_key for c in chunks if c.storage_key]
    for key in keys:
        storage.delete(key)  # copies only: the file itself stays for the annotated report
    return submission


def quiet_submissions(session: Session, *, quiet_s: int) -> list[uuid.UUID]:
    """CSV submissions still processing, oldest first, where nothing has happened for
    ``quiet_s`` seconds (no chunk done, or not even split): those whose work may be lost."""
    since = utcnow() - timedelta(seconds=quiet_s)
    latest = (
        sa.select(sa.func.max(CsvChunk.done_at))
        .where(CsvChunk.submission_id == Submission.id)
        .scalar_subquery()
    )
    stmt = (
        sa.select(Submission.id)
        .where(Submission.channel == "csv", Submission.status == "processing")
        .order_by(Submission.created_at)
    )
    if quiet_s > 0:
        stmt = stmt.where(Submission.created_at <= since, sa.or_(latest.is_(None), latest <= since))
    return list(session.scalars(stmt))


def process_submission(
    session_factory: sessionmaker[Session],
    storage: Storage,
    submission_id: uuid.UUID,
    *,
    config: IntakeConfig,
    now: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Submission | None:
    """Process the whole file in this process (split, every chunk, finish); resumable."""
    now = now or utcnow()
    pending = split(session_factory, storage, submission_id, chunk_rows=chunk_rows, now=now)
    for index in pending or []:
        process_chunk(session_factory, storage, submission_id, index, config=config, now=now)
    finish(session_factory, storage, submission_id, config=config, now=now)
    with session_factory() as session:
        return session.get(Submission, submission_id)


def _ingest(
    session: Session,
    submission: Submission,
    chunk: list[Row],
    config: IntakeConfig,
    now: datetime,
    ready: Precomputed | None,
) -> None:
    actor = submitted_by(submission)
    clean: list[dict[str, Any]] = []
    clean_rows: list[Row] = []
    errors: list[dict[str, Any]] = []
    rejected = 0
    loaded: list[Vocabularies] = []

    def vocab() -> Vocabularies:
        if not loaded:
            loaded.append(load_vocabularies(session))
        return loaded[0]

    notes: dict[int, list[dict[str, Any]]] = {}
    for number, cells in chunk:
        raw, problems = row_to_record(cells)
        if not problems:
            notes[number] = _find_location(session, raw, number)
            clean.append(raw)
            clean_rows.append((number, cells))
            continue
        # The cells were not even readable: report them with whatever the rules say too.
        rejected += 1
        found = {column: [message] for column, message in problems}
        checked = validate_record(raw, vocab(), now)
        if isinstance(checked, Rejection):
            for path, messages in checked.errors.items():
                found.setdefault(column_of(path), messages)
        errors.extend(_row_errors(number, explain(found, cells, vocab())))
    results = intake.ingest(
        session, actor, submission, clean, config=config, now=now, precomputed=ready
    )
    errors.extend(_result_errors(results, clean_rows, vocab))
    errors.sort(key=lambda e: e["row"])
    add_results(
        submission,
        results,
        errors=errors,
        also_rejected=rejected,
        warnings=_warnings(results, clean_rows, notes),
    )


def _row_errors(row: int, found: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"row": row, "column": column, "message": message}
        for column, messages in found.items()
        for message in messages
    ]


def _result_errors(
    results: list[ItemResult], rows: list[Row], vocab: Callable[[], Vocabularies]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for result in results:
        if result.status != REJECTED:
            continue
        found: dict[str, list[str]] = {}
        for path, messages in (result.errors or {}).items():
            found.setdefault(column_of(path), []).extend(messages)
        number, cells = rows[result.index]
        out.extend(_row_errors(number, explain(found, cells, vocab())))
    return out


def _find_location(session: Session, raw: dict[str, Any], row: int) -> list[dict[str, Any]]:
    """A row naming its service (name and postcode) but no location id: the registry's one
    location that fits becomes its ``location_id``; otherwise the row is taken to be matched
    later, with a note naming the candidates."""
    service = raw.get("service") or {}
    name, postcode = service.get("name"), service.get("postcode")
    if raw.get("location_id") or not name or not postcode:
        return []
    match = match_service(session, name, postcode)
    if match.location_id is not None:
        raw["location_id"] = match.location_id
        return []
    return [
        {
            "row": row,
            "column": "service_name",
            "message": unmatched_service(name, postcode, match.candidates),
        }
    ]


def _warnings(
    results: list[ItemResult], rows: list[Row], notes: dict[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Rows taken with something left out or still to settle that the sender should know of."""
    out: list[dict[str, Any]] = []
    for result in results:
        if result.status == REJECTED:
            continue
        number = rows[result.index][0]
        out.extend(notes.get(number, []))
        if result.equality_dropped:
            out.append(
                {
                    "row": number,
                    "column": "consent_equality_monitoring",
                    "message": EQUALITY_DROPPED,
                }
            )
    return out
