"""What a submission looks like to its sender: its state, and its file annotated with errors."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.errors import NotFound
from hub.exchange.csv_template import COLUMNS, ERRORS_COLUMN, csv_line
from hub.exchange.csv_upload import detect_encoding, rows_done, text_of
from hub.exchange.models import Submission
from hub.storage import Storage


def get_submission(session: Session, actor: Actor, submission_id: uuid.UUID) -> Submission:
    """One submission the actor may see (its own; the regulator's: any); else NotFound."""
    submission = session.get(Submission, submission_id)
    if submission is None or not (
        actor.is_regulator or submission.organisation_id == actor.organisation_id
    ):
        raise NotFound("No such submission.")
    return submission


def annotated_csv(storage: Storage, submission: Submission) -> Iterator[str]:
    """The uploaded file's rows, formula-safe, with an ``errors`` column from the report."""
    if not submission.storage_key:
        raise NotFound("This submission has no file.")
    by_row: dict[int, list[str]] = {}
    for error in submission.errors:
        column = f"{error['column']}: " if error.get("column") else ""
        by_row.setdefault(int(error["row"]), []).append(f"{column}{error['message']}")
    encoding = detect_encoding(storage.iter_chunks(submission.storage_key))
    with storage.open(submission.storage_key) as raw:
        text = text_of(raw, encoding)
        reader = csv.reader(text)
        header = next(reader, None) or list(COLUMNS)
        header = [header[0].lstrip("\ufeff"), *header[1:]] if header else header
        yield csv_line([*header, ERRORS_COLUMN])
        width = len(header)
        for number, cells in enumerate(reader, start=2):
            padded = cells + [""] * (width - len(cells))
            yield csv_line([*padded, "; ".join(by_row.get(number, []))])


def submissions_query(actor: Actor) -> sa.Select[Any]:
    """The submissions the actor may list: its organisation's, or everyone's for the regulator."""
    stmt = sa.select(Submission)
    if not actor.is_regulator:
        stmt = stmt.where(Submission.organisation_id == actor.organisation_id)
    return stmt


def submission_body(submission: Submission) -> dict[str, Any]:
    """A submission as the API and the portal describe it."""
    return {
        "id": str(submission.id),
        "channel": submission.channel,
        "status": submission.status,
        "filename": submission.filename,
        "submitted_by": submission.submitted_by,
        "created_at": submission.created_at,
        "completed_at": submission.completed_at,
        "rows_total": submission.declared_count,
        "rows_done": rows_done(submission),
        "accepted": submission.accepted_count,
        "replayed": submission.replayed_count,
        "rejected": submission.rejected_count,
        "errors": list(submission.errors),
    }
