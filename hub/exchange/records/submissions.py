"""Submissions, the inbound exchanges (one API call, one batch, one CSV file): who may submit,
opening one, counting what became of its records, and closing it, the same way for every channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.errors import Forbidden, NotFound
from hub.exchange.notify import mail as notify_mail
from hub.exchange.notify.webhooks import enqueue
from hub.exchange.records.items import CREATED, REJECTED, REPLAYED, ItemResult
from hub.exchange.records.models import Submission
from hub.exchange.records.validation import storable
from hub.identity.services import require_agreement

MAX_STORED_ERRORS = 5000
COMPLETED = "completed"
FAILED = "failed"
SUBMISSION_COMPLETED = "submission.completed"


def submitter(session: Session, actor: Actor, on: date) -> uuid.UUID:
    """The organisation submitting: a partner with an agreement in force on ``on``."""
    if actor.organisation_id is None:
        raise Forbidden("Only a partner organisation can submit records.")
    require_agreement(session, actor, on)
    return actor.organisation_id


def open_submission(
    session: Session,
    actor: Actor,
    *,
    channel: str,
    declared: int,
    now: datetime,
    filename: str | None = None,
    storage_key: str | None = None,
    sha256: str | None = None,
) -> Submission:
    """Start an inbound exchange (status ``processing``)."""
    assert actor.organisation_id is not None
    submission = Submission(
        id=uuid.uuid4(),
        organisation_id=actor.organisation_id,
        channel=channel,
        status="processing",
        submitted_by=actor.label,
        declared_count=declared,
        errors=[],
        filename=filename,
        storage_key=storage_key,
        sha256=sha256,
        created_at=now,
    )
    session.add(submission)
    session.flush()
    record(
        session,
        actor,
        "submission.created",
        object_type="submission",
        object_id=submission.id,
        details={"channel": channel, "declared": declared},
        now=now,
    )
    return submission


@dataclass(frozen=True)
class Tally:
    """What became of some of a submission's records: counts, and row problems as
    ``{row, column, message}`` (storable, at most ``MAX_STORED_ERRORS`` of each)."""

    accepted: int = 0
    replayed: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)


def tally(
    results: Sequence[ItemResult],
    *,
    errors: list[dict[str, Any]] | None = None,
    also_rejected: int = 0,
    warnings: list[dict[str, Any]] | None = None,
) -> Tally:
    """Count what became of some records and word their errors.

    By default the row is the record's index and the column its field path; a caller that words
    its own errors (a CSV's rows and columns) passes them, with ``also_rejected`` rows refused
    before they reached intake.
    """
    counts = {CREATED: 0, REPLAYED: 0, REJECTED: 0}
    for result in results:
        counts[result.status] += 1
    if errors is None:
        errors = [
            {"row": r.index, "column": path, "message": message}
            for r in results
            for path, messages in (r.errors or {}).items()
            for message in messages
        ]
    return Tally(
        accepted=counts[CREATED],
        replayed=counts[REPLAYED],
        rejected=counts[REJECTED] + also_rejected,
        errors=_storable(errors[:MAX_STORED_ERRORS]),
        warnings=_storable((warnings or [])[:MAX_STORED_ERRORS]),
    )


def add_tally(submission: Submission, counted: Tally) -> None:
    """Add what became of some records to the submission's counts and report."""
    submission.accepted_count += counted.accepted
    submission.replayed_count += counted.replayed
    submission.rejected_count += counted.rejected
    if counted.errors:
        submission.errors = [*submission.errors, *counted.errors][:MAX_STORED_ERRORS]
    if counted.warnings:
        kept = [*(submission.warnings or []), *counted.warnings]
        submission.warnings = kept[:MAX_STORED_ERRORS]


def add_results(
    submission: Submission,
    results: Sequence[ItemResult],
    *,
    errors: list[dict[str, Any]] | None = None,
    also_rejected: int = 0,
    warnings: list[dict[str, Any]] | None = None,
) -> None:
    """Count what became of some of the submission's records and keep their errors (see
    :func:`tally`)."""
    add_tally(
        submission,
        tally(results, errors=errors, also_rejected=also_rejected, warnings=warnings),
    )


def _storable(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Row messages quote what was typed; a typed cell may hold what no database stores."""
    return [
        {**p, "column": storable(str(p.get("column", ""))), "message": storable(str(p["message"]))}
        for p in problems
    ]


def close_submission(
    session: Session,
    actor: Actor,
    submission: Submission,
    *,
    now: datetime,
    status: str = COMPLETED,
) -> Submission:
    """Close an inbound exchange, whatever its channel: ``completed`` (or ``failed``), audited
    as ``submission.completed`` with its counts, and told to the submitter's webhooks."""
    submission.status = status
    submission.completed_at = now
    session.flush()
    details = {
        "channel": submission.channel,
        "status": submission.status,
        "declared": submission.declared_count,
        "accepted": submission.accepted_count,
        "replayed": submission.replayed_count,
        "rejected": submission.rejected_count,
    }
    record(
        session,
        actor,
        SUBMISSION_COMPLETED,
        object_type="submission",
        object_id=submission.id,
        details=details,
        now=now,
    )
    enqueue(
        session,
        SUBMISSION_COMPLETED,
        {"submission_id": str(submission.id), **details},
        [submission.organisation_id],
        now=now,
    )
    if submission.channel == "csv":
        notify_mail.upload_finished(
            session,
            submission_id=submission.id,
            organisation_id=submission.organisation_id,
            submitted_by=submission.submitted_by,
            filename=submission.filename,
            status=submission.status,
            accepted=submission.accepted_count,
            rejected=submission.rejected_count,
            now=now,
        )
    return submission


def submitted_by(submission: Submission) -> Actor:
    """The actor a submission was made by, as its label records it (for work done later)."""
    kind, _, ident = submission.submitted_by.partition(":")
    return Actor(
        kind=kind or "system", id=ident or kind, organisation_id=submission.organisation_id
    )


def get_submission(session: Session, actor: Actor, submission_id: uuid.UUID) -> Submission:
    """One submission the actor may see (its own; the regulator's: any); else NotFound."""
    submission = session.get(Submission, submission_id)
    if submission is None or not (
        actor.is_regulator or submission.organisation_id == actor.organisation_id
    ):
        raise NotFound("No such submission.")
    return submission


def submissions_query(actor: Actor) -> sa.Select[Any]:
    """The submissions the actor may list: its organisation's, or everyone's for the regulator."""
    stmt = sa.select(Submission)
    if not actor.is_regulator:
        stmt = stmt.where(Submission.organisation_id == actor.organisation_id)
    return stmt


def describe(submission: Submission, so_far: Tally | None = None) -> dict[str, Any]:
    """A submission as the API and the portal show it; ``so_far``: what its parts counted that
    is not in the submission yet (a file's chunks, while it is processing)."""
    more = so_far or Tally()
    accepted = submission.accepted_count + more.accepted
    replayed = submission.replayed_count + more.replayed
    rejected = submission.rejected_count + more.rejected
    return {
        "id": str(submission.id),
        "channel": submission.channel,
        "status": submission.status,
        "filename": submission.filename,
        "submitted_by": submission.submitted_by,
        "created_at": submission.created_at,
        "completed_at": submission.completed_at,
        "rows_total": submission.declared_count,
        "rows_done": accepted + replayed + rejected,
        "accepted": accepted,
        "replayed": replayed,
        "rejected": rejected,
        "errors": [*submission.errors, *more.errors][:MAX_STORED_ERRORS],
        "warnings": [*(submission.warnings or []), *more.warnings][:MAX_STORED_ERRORS],
    }
