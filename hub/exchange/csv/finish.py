"""Closing an uploaded CSV file once every ``rows`` chunk is over: the ``repeats`` chunk first
(in file order, so a repeat is a replay or a conflict exactly as if the file had been read top
to bottom), then the submission is closed with what its chunks counted: ``completed``, or
``failed`` for an unreadable file or a chunk that failed for good (the rows before are kept).

Closing reads the chunks' own counts and reports (a few hundred rows at most) and writes the
submission once: the work that grows with the file was done, in parallel, by the chunks.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.clock import utcnow
from hub.db import transaction
from hub.exchange.csv.chunks import pending_chunks, process_chunk, processing
from hub.exchange.csv.models import FAILED, REPEATS, UNREADABLE, CsvChunk
from hub.exchange.csv.progress import add_chunks, by_row
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import COMPLETED, close_submission, submitted_by
from hub.exchange.records.submissions import FAILED as FAILED_STATUS
from hub.storage import Storage

GAVE_UP = (
    "Rows {first} to {last} could not be processed (the error was recorded for the hub's "
    "operators)."
)


def finish(
    session_factory: sessionmaker[Session],
    storage: Storage,
    submission_id: uuid.UUID,
    *,
    config: IntakeConfig,
    now: datetime | None = None,
) -> Submission | None:
    """Once every ``rows`` chunk is over: the repeats, then close the file (idempotent); the
    submission closed here, else None."""
    now = now or utcnow()
    with session_factory() as session:
        if processing(session, submission_id) is None or pending_chunks(session, submission_id):
            return None
        repeats = pending_chunks(session, submission_id, kind=REPEATS)
    for index in repeats:
        process_chunk(session_factory, storage, submission_id, index, config=config, now=now)
    with transaction(session_factory) as session:
        # Waits for chunks still committing (they hold the submission's row shared).
        submission = processing(session, submission_id, lock="update")
        if submission is None or pending_chunks(session, submission_id, kind=None):
            return None
        chunks = list(
            session.execute(
                sa.select(
                    CsvChunk.kind,
                    CsvChunk.status,
                    CsvChunk.rows,
                    CsvChunk.error,
                    CsvChunk.storage_key,
                )
                .where(CsvChunk.submission_id == submission_id)
                .order_by(CsvChunk.index)
            )
        )
        add_chunks(session, submission)
        errors = _file_errors(chunks)
        submission.errors = by_row([*submission.errors, *errors])
        status = FAILED_STATUS if errors else COMPLETED
        close_submission(session, submitted_by(submission), submission, now=now, status=status)
    for chunk in chunks:
        if chunk.storage_key:
            storage.delete(chunk.storage_key)  # copies only: the file stays for the report
    return submission


def _file_errors(chunks: list[Any]) -> list[dict[str, Any]]:
    """What failed the file: chunks given up, and where it stopped being CSV."""
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
    return errors
