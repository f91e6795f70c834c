"""Experience records stored straight into the database, as intake leaves them (test helper)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.consent.models import ConsentRecord
from hub.exchange.records.models import ExperienceRecord, Submission

FULL_SCOPES = ["regulator_use", "publish_anonymised", "feedback", "equality_monitoring"]


def add_records(
    session: Session,
    org_id: uuid.UUID,
    n: int,
    *,
    location_id: str | None = "1-000000001",
    experience_date: date = date(2026, 5, 14),
    received_at: datetime = datetime(2026, 6, 1, tzinfo=UTC),
    key_questions: tuple[str, ...] = ("safe",),
    condition_areas: tuple[str, ...] = ("mental-health",),
    sentiment: str = "negative",
    scopes: list[str] | None = None,
    status: str = "accepted",
    consent_status: str = "given",
    narrative: str = "Nurse Jones at SW1A 1AA was kind.",
    redacted: str | None = "[NAME] at [POSTCODE] was kind.",
    equality: dict[str, Any] | None = None,
    submitted_location_id: Any = ...,
    **fields: Any,
) -> list[ExperienceRecord]:
    """Store ``n`` alike records of one organisation, each with its consent."""
    scopes = FULL_SCOPES if scopes is None else scopes
    submission = Submission(
        organisation_id=org_id,
        channel="batch",
        status="completed",
        submitted_by="tests",
        declared_count=n,
        accepted_count=n,
        errors=[],
    )
    session.add(submission)
    session.flush()
    records = []
    for _ in range(n):
        rec = ExperienceRecord(
            organisation_id=org_id,
            partner_record_id=f"rec-{uuid.uuid4().hex[:12]}",
            submission_id=submission.id,
            status=status,
            received_at=received_at,
            submitted_location_id=location_id
            if submitted_location_id is ...
            else submitted_location_id,
            location_id=location_id,
            experience_date=experience_date,
            date_precision="day",
            sentiment=sentiment,
            key_questions=list(key_questions),
            condition_areas=list(condition_areas),
            themes=[],
            narrative=narrative,
            narrative_redacted=redacted,
            redactions={},
            equality=equality
            if equality is not None
            else {"age_band": "65-74", "sex": "female", "ethnic_group": "white"},
            safeguarding_categories=[],
            content_digest=uuid.uuid4().hex,
            fingerprint=uuid.uuid4().hex,
            **fields,
        )
        session.add(rec)
        session.flush()
        session.add(
            ConsentRecord(
                experience_id=rec.id,
                organisation_id=org_id,
                scopes=list(scopes),
                publish_anonymised="publish_anonymised" in scopes,
                feedback="feedback" in scopes,
                equality_monitoring="equality_monitoring" in scopes,
                lawful_basis="consent",
                status=consent_status,
            )
        )
        records.append(rec)
    session.commit()
    return records
