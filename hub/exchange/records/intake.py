"""Submitting experience records: one at a time, in batches, or as a dry run.

Each call is one transaction owned by the caller. A call that stores records opens a
``Submission`` (the inbound exchange), runs the pipeline and closes the submission
(``hub.exchange.records.submissions``); a dry run checks everything the same way and writes
nothing, not even an audit event. Answers are domain values: the entry points choose statuses,
headers and shapes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.clock import utcnow
from hub.errors import (
    ConsentRequired,
    DuplicateConflict,
    HubError,
    PayloadTooLarge,
    ValidationFailed,
    safe_name,
)
from hub.exchange.records import pipeline
from hub.exchange.records.access import intake_summary, written_summary
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.enrich import Precomputed
from hub.exchange.records.items import REJECTED, ItemResult
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import (
    add_results,
    close_submission,
    open_submission,
    submitter,
)
from hub.exchange.records.validation import CONSENT_REQUIRED, DUPLICATE_CONFLICT


@dataclass(frozen=True)
class OneAnswer:
    """What became of one submitted record: its result and, once stored, the record as answered
    to its sender (no narrative or equality data; with its consent receipt)."""

    result: ItemResult
    record: dict[str, Any] | None = None


@dataclass(frozen=True)
class BatchAnswer:
    """What became of each record of a batch; no submission for a dry run."""

    submission_id: uuid.UUID | None
    results: list[ItemResult]


def ingest(
    session: Session,
    actor: Actor,
    submission: Submission,
    raws: Sequence[Any],
    *,
    config: IntakeConfig,
    now: datetime,
    precomputed: Precomputed | None = None,
) -> list[ItemResult]:
    """Run records through the pipeline under an open submission (the CSV path uses this, with
    the heavy part of enrichment done before its transaction)."""
    prepared = pipeline.prepare(session, submission.organisation_id, raws, config=config, now=now)
    return pipeline.store(
        session,
        actor,
        prepared,
        submission_id=submission.id,
        config=config,
        now=now,
        precomputed=precomputed,
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
    organisation_id = submitter(session, actor, now.date())
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
) -> OneAnswer:
    """One record, stored (``created``) or an identical replay (``replayed``); refusals raise."""
    now = now or utcnow()
    organisation_id = submitter(session, actor, now.date())
    prepared = pipeline.prepare(session, organisation_id, [payload], config=config, now=now)
    early = prepared.results[0]
    if early is not None and early.status == REJECTED:
        raise _error(early)
    if dry_run:
        [result] = pipeline.preview(session, prepared)
        return OneAnswer(result)
    submission = open_submission(session, actor, channel="api", declared=1, now=now)
    [result] = pipeline.store(
        session, actor, prepared, submission_id=submission.id, config=config, now=now
    )
    if result.status == REJECTED:  # lost a race to a different record under the same id
        raise _error(result)
    add_results(submission, [result])
    close_submission(session, actor, submission, now=now)
    assert result.id is not None
    if result.written is not None:  # stored now: answered from the rows written
        return OneAnswer(result, written_summary(session, actor, result.written))
    return OneAnswer(result, intake_summary(session, actor, result.id))


def records_of(payload: Any, limit: int) -> list[Any]:
    """The records of a batch body ``{"records": [...]}``: at least one, at most ``limit``."""
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
) -> BatchAnswer:
    """Up to ``batch_max`` records; valid ones are kept whatever happens to the others."""
    now = now or utcnow()
    organisation_id = submitter(session, actor, now.date())
    records = records_of(payload, config.batch_max)
    prepared = pipeline.prepare(session, organisation_id, records, config=config, now=now)
    if dry_run:
        return BatchAnswer(None, pipeline.preview(session, prepared))
    submission = open_submission(session, actor, channel="batch", declared=len(records), now=now)
    results = pipeline.store(
        session, actor, prepared, submission_id=submission.id, config=config, now=now
    )
    add_results(submission, results)
    close_submission(session, actor, submission, now=now)
    return BatchAnswer(submission.id, results)
