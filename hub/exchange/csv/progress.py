"""How far a CSV file has got: its chunks each keep what became of their rows, and a reader
sums them (the submission's own counts are filled in once, when the file closes), so chunks
finishing at once never wait for one row. Also: the files where nothing has happened lately,
whose work a killed worker may have dropped."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.clock import utcnow
from hub.exchange.csv.models import DONE, CsvChunk
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import (
    MAX_STORED_ERRORS,
    Tally,
    add_tally,
    describe,
)


def by_row(problems: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Problems in the file's row order (chunks finish in any order), at most as many as are
    kept."""
    return sorted(problems, key=lambda p: p["row"])[:MAX_STORED_ERRORS]


def merged(chunks: Iterable[Any]) -> Tally:
    """What the given chunks (anything with their counts and reports) counted, together."""
    accepted = replayed = rejected = 0
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for chunk in chunks:
        accepted += chunk.accepted
        replayed += chunk.replayed
        rejected += chunk.rejected
        errors += chunk.errors or []
        warnings += chunk.warnings or []
    return Tally(accepted, replayed, rejected, by_row(errors), by_row(warnings))


def done_so_far(session: Session, submission_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Tally]:
    """What the done chunks of each file counted (one query for them all)."""
    if not submission_ids:
        return {}
    rows = session.execute(
        sa.select(
            CsvChunk.submission_id,
            CsvChunk.accepted,
            CsvChunk.replayed,
            CsvChunk.rejected,
            CsvChunk.errors,
            CsvChunk.warnings,
        )
        .where(CsvChunk.submission_id.in_(submission_ids), CsvChunk.status == DONE)
        .order_by(CsvChunk.submission_id, CsvChunk.index)
    ).all()
    grouped: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.submission_id, []).append(row)
    return {sid: merged(chunks) for sid, chunks in grouped.items()}


def add_chunks(session: Session, submission: Submission) -> None:
    """Add what the file's done chunks counted to the submission, as it closes (once: the
    caller holds the submission's row and closes it in the same transaction)."""
    counted = done_so_far(session, [submission.id]).get(submission.id)
    if counted is not None:
        add_tally(submission, counted)


def described(session: Session, submissions: Sequence[Submission]) -> list[dict[str, Any]]:
    """Submissions as the API and the portal show them: a file still processing with what its
    chunks have counted so far."""
    open_files = [s.id for s in submissions if s.channel == "csv" and s.status == "processing"]
    so_far = done_so_far(session, open_files)
    return [describe(s, so_far.get(s.id)) for s in submissions]


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
