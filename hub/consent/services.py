"""Recording consent at intake, receipts, and withdrawal of consent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.consent.models import ConsentRecord
from hub.consent.receipts import ReceiptFacts, build_receipt
from hub.consent.rules import (
    EQUALITY_MONITORING,
    FEEDBACK,
    GIVEN,
    PUBLISH_ANONYMISED,
    WITHDRAWN,
    ConsentTerms,
)
from hub.errors import NotFound
from hub.identity.services import organisation_name


def consent_row(
    *,
    experience_id: uuid.UUID,
    organisation_id: uuid.UUID,
    terms: ConsentTerms,
    now: datetime,
) -> dict[str, Any]:
    """The row a new record's consent is stored as (for a bulk insert)."""
    return {
        "id": uuid.uuid4(),
        "experience_id": experience_id,
        "organisation_id": organisation_id,
        "scopes": list(terms.scopes),
        "publish_anonymised": terms.allows(PUBLISH_ANONYMISED),
        "feedback": terms.allows(FEEDBACK),
        "equality_monitoring": terms.allows(EQUALITY_MONITORING),
        "obtained_at": terms.obtained_at,
        "method": terms.method,
        "lawful_basis": terms.lawful_basis,
        "notice_version": terms.notice_version,
        "status": GIVEN,
        "receipt_id": uuid.uuid4(),
        "created_at": now,
        "withdrawn_at": None,
    }


def add_consents(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store the consents of newly accepted records in one statement."""
    if rows:
        session.execute(sa.insert(ConsentRecord), list(rows))


def consents_for(
    session: Session, experience_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ConsentRecord]:
    """The consent of each record, by experience id."""
    ids = list(experience_ids)
    if not ids:
        return {}
    rows = session.scalars(sa.select(ConsentRecord).where(ConsentRecord.experience_id.in_(ids)))
    return {row.experience_id: row for row in rows}


def consent_for(session: Session, experience_id: uuid.UUID) -> ConsentRecord:
    """The consent behind one record."""
    row = session.scalar(
        sa.select(ConsentRecord).where(ConsentRecord.experience_id == experience_id)
    )
    if row is None:
        raise NotFound("No consent is recorded for this record.")
    return row


def withdraw(
    session: Session,
    actor: Actor,
    consent: ConsentRecord,
    *,
    now: datetime | None = None,
    reason: str | None = None,
) -> bool:
    """Mark consent withdrawn; False (and no event) when it already was.

    ``reason`` is a code (never free text: the audit log holds no personal words).
    """
    if consent.status == WITHDRAWN:
        return False
    now = now or utcnow()
    consent.status = WITHDRAWN
    consent.withdrawn_at = now
    session.flush()
    record(
        session,
        actor,
        "consent.withdrawn",
        object_type="experience",
        object_id=consent.experience_id,
        organisation_id=consent.organisation_id,
        details={
            "receipt_id": str(consent.receipt_id),
            "scopes": list(consent.scopes),
            **({"reason": reason} if reason else {}),
        },
        now=now,
    )
    return True


def receipt(session: Session, consent: ConsentRecord, *, partner_record_id: str) -> dict[str, Any]:
    """The consent receipt for one record, as it stands now."""
    partner = organisation_name(session, consent.organisation_id)
    return build_receipt(
        ReceiptFacts(
            receipt_id=consent.receipt_id,
            experience_id=consent.experience_id,
            partner_record_id=partner_record_id,
            partner_name=partner or "the partner",
            scopes=tuple(consent.scopes or ()),
            lawful_basis=consent.lawful_basis,
            method=consent.method,
            notice_version=consent.notice_version,
            obtained_at=consent.obtained_at,
            recorded_at=consent.created_at,
            status=consent.status,
            withdrawn_at=consent.withdrawn_at,
        )
    )


def describe(consent: ConsentRecord) -> dict[str, Any]:
    """The consent as the API shows it beside a record."""
    return {
        "scopes": list(consent.scopes or []),
        "obtained_at": consent.obtained_at,
        "method": consent.method,
        "lawful_basis": consent.lawful_basis,
        "notice_version": consent.notice_version,
        "status": consent.status,
        "withdrawn_at": consent.withdrawn_at,
        "receipt_id": str(consent.receipt_id),
    }
