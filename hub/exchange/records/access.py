"""Reading experience records: who may see what, in which form, and consent receipts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.consent import services as consent_services
from hub.consent.models import ConsentRecord
from hub.consent.rules import WITHDRAWN as CONSENT_WITHDRAWN
from hub.errors import NotFound, ValidationFailed
from hub.exchange.records.items import Written
from hub.exchange.records.models import (
    RECORD_STATUSES,
    WITHDRAWN,
    ExperienceRecord,
    not_withdrawn,
)
from hub.keyset import keyset_page
from hub.safeguarding.models import SafeguardingAlert
from hub.safeguarding.services import alerts_for

REGULATOR_READ = "regulator:read"


def shareable_records() -> sa.Select[ExperienceRecord]:
    """Every record later producers may use (add their own filters)."""
    return sa.select(ExperienceRecord).where(not_withdrawn())


def publishable_records() -> sa.Select[ExperienceRecord]:
    """Shareable records whose consent allows anonymised publication."""
    return (
        shareable_records()
        .join(ConsentRecord, ConsentRecord.experience_id == ExperienceRecord.id)
        .where(ConsentRecord.status == "given", ConsentRecord.publish_anonymised.is_(True))
    )


def check_status(status: str) -> str:
    """``status`` if it is a record status; ValidationFailed otherwise."""
    if status not in RECORD_STATUSES:
        raise ValidationFailed(
            "Unknown record status.",
            errors={"status": [f"Choose from: {', '.join(RECORD_STATUSES)}."]},
        )
    return status


def sees_all(actor: Actor) -> bool:
    """The regulator reads every record, raw narratives included."""
    return actor.has(REGULATOR_READ)


def _visible(actor: Actor) -> sa.ColumnElement[bool]:
    if sees_all(actor):
        return sa.true()
    return ExperienceRecord.organisation_id == actor.organisation_id


def _load(
    session: Session, actor: Actor, record_id: uuid.UUID, *, lock: bool = False
) -> ExperienceRecord:
    stmt = sa.select(ExperienceRecord).where(ExperienceRecord.id == record_id, _visible(actor))
    if lock:
        stmt = stmt.with_for_update()
    found = session.scalar(stmt)
    if found is None:
        # Another partner's record answers exactly like a missing one.
        raise NotFound("No such experience record.")
    return found


def _alert(alert: SafeguardingAlert | None) -> dict[str, Any] | None:
    if alert is None:
        return None
    return {
        "id": str(alert.id),
        "status": alert.status,
        "categories": list(alert.categories or []),
        "immediate": alert.immediate,
        "reasons": list(alert.reasons or []),
        "raised_at": alert.raised_at,
        "due_at": alert.due_at,
    }


def describe(
    rec: ExperienceRecord,
    consent: ConsentRecord | None,
    alert: SafeguardingAlert | None,
    *,
    actor: Actor,
    raw: bool = False,
    personal: bool = True,
) -> dict[str, Any]:
    """A record as the API and the portal show it (domain values: they format them); ``raw``
    shows the regulator the words as given.

    ``personal=False`` leaves out the narrative and equality data (answers that are kept for
    replay must hold nothing withdrawal would have to erase).
    """
    day = rec.experience_date
    body: dict[str, Any] = {
        "id": str(rec.id),
        "partner_record_id": rec.partner_record_id,
        "organisation_id": str(rec.organisation_id),
        "submission_id": str(rec.submission_id),
        "status": rec.status,
        "received_at": rec.received_at,
        "withdrawn_at": rec.withdrawn_at,
        "location_id": rec.location_id,
        "submitted_location_id": rec.submitted_location_id,
        "service": {"name": rec.service_name, "postcode": rec.service_postcode}
        if rec.service_name
        else None,
        "service_type": rec.service_type,
        "experience_date": f"{day:%Y-%m}" if rec.date_precision == "month" else day.isoformat(),
        "respondent_role": rec.respondent_role,
        "collection_channel": rec.collection_channel,
        "overall_experience": rec.overall_experience,
        "key_questions": list(rec.key_questions or []),
        "condition_areas": list(rec.condition_areas or []),
        "themes": list(rec.themes or []),
        "sentiment": rec.sentiment,
        "sentiment_score": rec.sentiment_score,
        "safeguarding": {
            "concern": rec.safeguarding_concern,
            "immediate_risk": rec.safeguarding_immediate,
            "categories": list(rec.safeguarding_categories or []),
            "alert": _alert(alert),
        },
        "consent": _consent(consent),
        "possible_duplicate_of": str(rec.possible_duplicate_of)
        if rec.possible_duplicate_of and sees_all(actor)
        else None,
        "outcomes": [],
    }
    if personal:
        body["narrative"] = rec.narrative if raw else rec.narrative_redacted
        body["narrative_raw"] = raw and rec.narrative is not None
        body["narrative_redacted"] = rec.narrative_redacted
        body["redactions"] = dict(rec.redactions or {})
        body["equality"] = dict(rec.equality) if rec.equality else None
    return body


def _consent(consent: ConsentRecord | None) -> dict[str, Any] | None:
    return consent_services.describe(consent) if consent is not None else None


def get_record(
    session: Session, actor: Actor, record_id: uuid.UUID, *, now: datetime | None = None
) -> dict[str, Any]:
    """One record; the regulator gets the raw narrative, and that read is audited."""
    rec = _load(session, actor, record_id)
    consent = consent_services.consents_for(session, [rec.id]).get(rec.id)
    _settle_withdrawn(session, [rec], {rec.id: consent} if consent else {})
    raw = sees_all(actor) and rec.narrative is not None
    if raw:
        record(
            session,
            actor,
            "experience.read_raw",
            object_type="experience",
            object_id=rec.id,
            organisation_id=rec.organisation_id,
            now=now or utcnow(),
            details={"partner_organisation_id": str(rec.organisation_id)},
        )
    alert = alerts_for(session, [rec.id]).get(rec.id)
    return describe(rec, consent, alert, actor=actor, raw=raw)


def _settle_withdrawn(
    session: Session, rows: list[ExperienceRecord], consents: dict[uuid.UUID, ConsentRecord]
) -> None:
    """Read again any record whose consent was seen withdrawn but the record itself not yet.

    Each statement sees what was committed when it began (PostgreSQL's READ COMMITTED), so a
    withdrawal can commit between reading a record and reading its consent. Withdrawal changes
    both in one transaction, so reading the record again shows it erased: an answer never
    holds words or equality data beside a consent it reports as withdrawn.
    """
    for rec in rows:
        consent = consents.get(rec.id)
        if consent is not None and consent.status == CONSENT_WITHDRAWN and rec.status != WITHDRAWN:
            session.refresh(rec)


def list_records(
    session: Session,
    actor: Actor,
    *,
    since: datetime | None = None,
    status: str | None = None,
    location_id: str | None = None,
    limit: int,
    after: list[Any] | None = None,
    newest_first: bool = False,
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """A page of the caller's records (the regulator's: everyone's), oldest first by default.

    Lists show the redacted narrative to everyone; the raw words need the single-record read.
    """
    stmt = sa.select(ExperienceRecord).where(_visible(actor))
    if since is not None:
        stmt = stmt.where(ExperienceRecord.received_at >= since)
    if status is not None:
        stmt = stmt.where(ExperienceRecord.status == check_status(status))
    if location_id is not None:
        stmt = stmt.where(
            sa.or_(
                ExperienceRecord.location_id == location_id,
                ExperienceRecord.submitted_location_id == location_id,
            )
        )
    page_stmt: Any = stmt
    keys: list[Any] = [ExperienceRecord.received_at, ExperienceRecord.id]
    rows: list[ExperienceRecord]
    rows, next_key = keyset_page(
        session, page_stmt, keys, limit=limit, after=after, descending=newest_first
    )
    ids = [r.id for r in rows]
    consents = consent_services.consents_for(session, ids)
    _settle_withdrawn(session, rows, consents)
    alerts = alerts_for(session, ids)
    items = [describe(r, consents.get(r.id), alerts.get(r.id), actor=actor) for r in rows]
    return items, next_key


def intake_summary(session: Session, actor: Actor, record_id: uuid.UUID) -> dict[str, Any]:
    """A stored record as answered to its submission (a replay): read back."""
    rec = _load(session, actor, record_id)
    consent = consent_services.consent_for(session, rec.id)
    alert = alerts_for(session, [rec.id]).get(rec.id)
    return _summary(session, actor, rec, consent, alert)


def written_summary(session: Session, actor: Actor, written: Written) -> dict[str, Any]:
    """A record stored in this transaction as answered to its submission, from the rows written
    (not read back): the same answer ``intake_summary`` gives."""
    alert = written.alert
    return _summary(
        session,
        actor,
        ExperienceRecord(**_as_read(written.record)),
        ConsentRecord(**_as_read(written.consent)),
        SafeguardingAlert(**_as_read(alert)) if alert is not None else None,
    )


def _as_read(row: dict[str, Any]) -> dict[str, Any]:
    """A row's values as the database gives them back: times in UTC."""
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in row.items()}


def _summary(
    session: Session,
    actor: Actor,
    rec: ExperienceRecord,
    consent: ConsentRecord,
    alert: SafeguardingAlert | None,
) -> dict[str, Any]:
    """A record as answered to its submission: no narrative or equality data, plus the receipt."""
    body = describe(rec, consent, alert, actor=actor, personal=False)
    body["consent_receipt"] = consent_services.receipt(
        session, consent, partner_record_id=rec.partner_record_id
    )
    return body


def consent_receipt(session: Session, actor: Actor, record_id: uuid.UUID) -> dict[str, Any]:
    """The consent receipt of a record the caller can see."""
    rec = _load(session, actor, record_id)
    consent = consent_services.consent_for(session, rec.id)
    return consent_services.receipt(session, consent, partner_record_id=rec.partner_record_id)


def find_own_record(session: Session, actor: Actor, partner_record_id: str) -> uuid.UUID:
    """The id of the caller's own record with the caller's reference ``partner_record_id``."""
    reference = partner_record_id.strip()
    found = (
        session.scalar(
            sa.select(ExperienceRecord.id).where(
                ExperienceRecord.organisation_id == actor.organisation_id,
                ExperienceRecord.partner_record_id == reference,
            )
        )
        if reference and actor.organisation_id is not None
        else None
    )
    if found is None:
        raise NotFound(f"Your organisation has no record with the reference {reference!r}.")
    return found
