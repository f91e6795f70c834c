"""One chunk of an uploaded CSV file, processed on any worker while others do the file's other
chunks (the file's first pass, :mod:`hub.exchange.csv.split`, made the chunks; the last one
done closes the file, :mod:`hub.exchange.csv.finish`).

The heavy part of enrichment (redaction, sentiment) is done first with no transaction open;
then one transaction stores the chunk's records, keeps what became of its rows on the chunk's
own row, and marks it ``done``. That transaction holds the chunk's row (so a redelivered
message waits, then finds it done) and only a *shared* lock on the submission: chunks of one
file commit side by side, and only closing the file, which takes the submission's row for
update, waits for them (and they for it). A chunk done is never done again; one killed half-way
is redone from the start, as its transaction never committed.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import uuid
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.clock import utcnow
from hub.db import transaction
from hub.exchange.csv.models import DONE, FAILED, PENDING, ROWS, UNREADABLE, CsvChunk
from hub.exchange.csv.rows import Row, convert_rows, ingest_rows, narratives
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.enrich import precompute
from hub.exchange.records.models import Submission
from hub.registry.keep_list import registry_keep_list
from hub.storage import Storage

CSV_CONTENT_TYPE = "text/csv"


def processing(
    session: Session,
    submission_id: uuid.UUID,
    *,
    lock: Literal["share", "update"] | None = None,
) -> Submission | None:
    """The submission if it is still processing a file; its row locked as asked (PostgreSQL;
    SQLite's transactions hold the database's write lock from their start already)."""
    stmt = sa.select(Submission).where(Submission.id == submission_id)
    if lock is not None:
        stmt = stmt.with_for_update(read=lock == "share")
    submission = session.scalars(stmt).first()
    if submission is None or submission.status != "processing" or not submission.storage_key:
        return None
    return submission


def pending_chunks(
    session: Session, submission_id: uuid.UUID, *, kind: str | None = ROWS
) -> list[int]:
    """Indexes of the file's chunks still to do (of ``kind``; None: of any kind)."""
    stmt = sa.select(CsvChunk.index).where(
        CsvChunk.submission_id == submission_id, CsvChunk.status == PENDING
    )
    if kind is not None:
        stmt = stmt.where(CsvChunk.kind == kind)
    return list(session.scalars(stmt.order_by(CsvChunk.index)))


def read_chunk(storage: Storage, chunk: CsvChunk) -> list[Row]:
    """The chunk's rows as (the file's row number, cells by column)."""
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
    rows = read_chunk(storage, chunk)
    converted = convert_rows(rows)
    # The heavy part first, with no transaction open: chunks on other workers write meanwhile.
    ready = precompute(narratives(converted), keep)
    with transaction(session_factory) as session:
        submission = processing(session, submission_id, lock="share")
        current = session.get(CsvChunk, (submission_id, index), with_for_update=True)
        if submission is None or current is None or current.status != PENDING:
            return False
        counted = ingest_rows(session, submission, rows, config, now, ready, converted)
        current.accepted = counted.accepted
        current.replayed = counted.replayed
        current.rejected = counted.rejected
        current.errors = counted.errors
        current.warnings = counted.warnings
        current.status = DONE
        current.done_at = utcnow()
        current.done_by = f"{socket.gethostname()}:{os.getpid()}"[:300]
    return True


def give_up_chunk(
    session_factory: sessionmaker[Session], submission_id: uuid.UUID, index: int
) -> None:
    """Mark a chunk that failed for good: the file is closed as failed at the end."""
    with transaction(session_factory) as session:
        chunk = session.get(CsvChunk, (submission_id, index), with_for_update=True)
        if chunk is not None and chunk.status == PENDING:
            chunk.status = FAILED
