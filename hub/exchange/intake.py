"""Submitting experience records: one at a time, in batches, or as a dry run.

Each call is one transaction owned by the caller. A call that stores records opens a
``Submission`` (the inbound exchange), runs the pipeline and completes the submission; a dry run
checks everything the same way and writes nothing, not even an audit event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import (
    ConsentRequired,
    DuplicateConflict,
    Forbidden,
    HubError,
    PayloadTooLarge,
    ValidationFailed,
)
from hub.exchange import idempotency, pipeline
from hub.exchange.idempotency import Answer
from hub.exchange.models import Submission
from hub.exchange.pipeline import CREATED, REJECTED, REPLAYED, IntakeConfig, ItemResult
from hub.exchange.records import intake_summary
from hub.exchange.validation import CONSENT_REQUIRED, DUPLICATE_CONFLICT, safe_name
from hub.identity.services import require_agreement

SINGLE = "experiences"
BATCH = "experiences/batch"
MAX_STORED_ERRORS = 5000


def _organisation(session: Session, actor: Actor, now: datetime) -> uuid.UUID:
    if actor.organisation_id is None:
        raise Forbidden("Only a partner organisation can submit records.")
    require_agreement(session, actor, now.date())
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


def complete_submission(
    session: Session,
    actor: Actor,
    submission: Submission,
    results: Sequence[ItemResult],
    *,
    now: datetime,
    row_of: Mapping[int, int] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> Submission:
    """Count the results, keep their errors as ``{row, column, message}`` and close the exchange.

    ``row_of`` maps result indexes to file rows (CSV); otherwise the row is the record's index.
    A caller that words its own errors (a CSV's columns, say) passes them as ``errors``.
    """
    counts = {CREATED: 0, REPLAYED: 0, REJECTED: 0}
    for result in results:
        counts[result.status] += 1
    if errors is None:
        errors = [
            {"row": row_of[r.index] if row_of else r.index, "column": path, "message": message}
            for r in results
            for path, messages in (r.errors or {}).items()
            for message in messages
        ]
    submission.accepted_count = counts[CREATED]
    submission.replayed_count = counts[REPLAYED]
    submission.rejected_count = counts[REJECTED]
    submission.errors = errors[:MAX_STORED_ERRORS]
    submission.status = "completed"
    submission.completed_at = now
    session.flush()
    record(
        session,
        actor,
        "submission.completed",
        object_type="submission",
        object_id=submission.id,
        now=now,
        details={
            "channel": submission.channel,
            "declared": submission.declared_count,
            "accepted": counts[CREATED],
            "replayed": counts[REPLAYED],
            "rejected": counts[REJECTED],
        },
    )
    return submission


def ingest(
    session: Session,
    actor: Actor,
    submission: Submission,
    raws: Sequence[Any],
    *,
    config: IntakeConfig,
    now: datetime,
) -> list[ItemResult]:
    """Run records through the pipeline under an open submission (the CSV path uses this)."""
    prepared = pipeline.prepare(session, submission.organisation_id, raws, config=config, now=now)
    return pipeline.store(
        session, actor, prepared, submission_id=submission.id, config=config, now=now
    )


def dry_run(
    session: Session,
    actor: Actor,
    raws: Sequence[Any],
    *,
    config: IntakeConfig,
    now: datetime | None = None,
) -> list[ItemResult]:
    """What submitting ``raws`` would do, without storing or auditing anything."""
    now = now or utcnow()
    organisation_id = _organisation(session, actor, now)
    prepared = pipeline.prepare(session, organisation_id, raws, config=config, now=now)
    return pipeline.preview(session, prepared)


def _error(result: ItemResult) -> HubError:
    errors = result.errors or {}
    if result.code == DUPLICATE_CONFLICT:
        return DuplicateConflict(
            errors["partner_record_id"][0],
            errors=errors,
            existing_id=str(result.id) if result.id else None,
        )
    if result.code == CONSENT_REQUIRED:
        return ConsentRequired(errors["consent.scopes"][0], errors=errors)
    return ValidationFailed("The record is not valid: see errors.", errors=errors)


def submit_one(
    session: Session,
    actor: Actor,
    payload: Any,
    *,
    config: IntakeConfig,
    now: datetime | None = None,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> Answer:
    """One record: 201 when stored, 200 for an identical replay; refusals raise."""
    now = now or utcnow()
    organisation_id = _organisation(session, actor, now)
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    digest = idempotency.request_digest(config.digest_key, SINGLE, payload)
    if key and not dry_run:
        stored = idempotency.lookup(session, organisation_id, key, SINGLE, digest)
        if stored is not None:
            return stored
    prepared = pipeline.prepare(session, organisation_id, [payload], config=config, now=now)
    early = prepared.results[0]
    if early is not None and early.status == REJECTED:
        raise _error(early)
    if dry_run:
        [result] = pipeline.preview(session, prepared)
        return Answer(200, _dry_body(result), {})
    submission = open_submission(session, actor, channel="api", declared=1, now=now)
    [result] = pipeline.store(
        session, actor, prepared, submission_id=submission.id, config=config, now=now
    )
    if result.status == REJECTED:  # lost a race to a different record under the same id
        raise _error(result)
    complete_submission(session, actor, submission, [result], now=now)
    assert result.id is not None
    body = intake_summary(session, actor, result.id)
    body.update(outcome=result.status, dry_run=False, equality_dropped=result.equality_dropped)
    answer = Answer(
        201 if result.status == CREATED else 200,
        body,
        {"Location": f"/api/v1/experiences/{result.id}"},
    )
    if key:
        idempotency.remember(session, organisation_id, key, SINGLE, digest, answer, now=now)
    return answer


def _dry_body(result: ItemResult) -> dict[str, Any]:
    return {
        "dry_run": True,
        "outcome": result.status,
        "id": str(result.id) if result.id else None,
        "partner_record_id": result.partner_record_id,
        "status": result.record_status,
        "equality_dropped": result.equality_dropped,
    }


def _records_of(payload: Any, limit: int) -> list[Any]:
    if not isinstance(payload, Mapping):
        raise ValidationFailed(
            "The body must be an object with a 'records' list.",
            errors={"_schema": ['Expected {"records": [...]}.']},
        )
    unknown = sorted(safe_name(str(k)) for k in payload if k != "records")
    errors = {k: ["Unknown field."] for k in unknown}
    records = payload.get("records")
    if not isinstance(records, list):
        errors["records"] = ["Required: a list of records."]
    elif not records:
        errors["records"] = ["Give at least one record."]
    if errors:
        raise ValidationFailed("The batch is not valid: see errors.", errors=errors)
    assert isinstance(records, list)
    if len(records) > limit:
        raise PayloadTooLarge(
            f"A batch holds at most {limit} records; this one has {len(records)}. Split it.",
            errors={"records": [f"At most {limit} records per batch."]},
        )
    return records


def submit_batch(
    session: Session,
    actor: Actor,
    payload: Any,
    *,
    config: IntakeConfig,
    now: datetime | None = None,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> Answer:
    """Up to ``batch_max`` records; valid ones are kept whatever happens to the others."""
    now = now or utcnow()
    organisation_id = _organisation(session, actor, now)
    records = _records_of(payload, config.batch_max)
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    digest = idempotency.request_digest(config.digest_key, BATCH, payload)
    if key and not dry_run:
        stored = idempotency.lookup(session, organisation_id, key, BATCH, digest)
        if stored is not None:
            return stored
    prepared = pipeline.prepare(session, organisation_id, records, config=config, now=now)
    if dry_run:
        return Answer(200, batch_body(None, pipeline.preview(session, prepared), dry=True), {})
    submission = open_submission(session, actor, channel="batch", declared=len(records), now=now)
    results = pipeline.store(
        session, actor, prepared, submission_id=submission.id, config=config, now=now
    )
    complete_submission(session, actor, submission, results, now=now)
    answer = Answer(200, batch_body(submission.id, results), {})
    if key:
        idempotency.remember(session, organisation_id, key, BATCH, digest, answer, now=now)
    return answer


def batch_body(
    submission_id: uuid.UUID | None, results: Sequence[ItemResult], *, dry: bool = False
) -> dict[str, Any]:
    """The batch answer: counts and one result per record, error paths from ``records[i]``."""
    created = sum(r.status == CREATED for r in results)
    replayed = sum(r.status == REPLAYED for r in results)
    return {
        "submission_id": str(submission_id) if submission_id else None,
        "dry_run": dry,
        "accepted": created + replayed,
        "created": created,
        "replayed": replayed,
        "rejected": len(results) - created - replayed,
        "results": [_item(r) for r in results],
    }


def _item(result: ItemResult) -> dict[str, Any]:
    item: dict[str, Any] = {
        "index": result.index,
        "partner_record_id": result.partner_record_id,
        "status": result.status,
    }
    if result.id is not None and result.status != REJECTED:
        item["id"] = str(result.id)
    if result.status == REJECTED:
        item["code"] = result.code
        item["errors"] = {
            f"records[{result.index}].{path}"
            if path != "_schema"
            else f"records[{result.index}]": msgs
            for path, msgs in (result.errors or {}).items()
        }
    else:
        item["record_status"] = result.record_status
        item["equality_dropped"] = result.equality_dropped
        item["safeguarding_alert"] = result.alert_id is not None
    return item
