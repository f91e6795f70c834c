"""Consent withdrawn: what is erased (in ONE place), the withdrawal itself, and the catch-up that
erases whatever a withdrawn record still holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.audit.services import chain_pending
from hub.clock import utcnow
from hub.consent import services as consent_services
from hub.consent.models import ConsentRecord
from hub.consent.rules import WITHDRAWN as CONSENT_WITHDRAWN
from hub.db import xact_lock
from hub.errors import NotFound, ValidationFailed
from hub.exchange.notify.notices import CONSENT_WITHDRAWN as CONSENT_WITHDRAWN_EVENT
from hub.exchange.notify.notices import notice, queue, regulator_ids
from hub.exchange.records import location_counts
from hub.exchange.records.access import describe
from hub.exchange.records.models import WITHDRAWN, ExperienceRecord
from hub.safeguarding.services import alerts_for

# Withdrawals hold it shared, a pooled release build exclusively: no release can commit holding a
# record whose withdrawal committed first (see hub.exchange.datasets.pooled).
RELEASE_LOCK = "pooled-release"
# What withdrawal erases: the person's words in every form, and their equality data.
ERASED_ON_WITHDRAWAL = (
    "narrative",
    "narrative_redacted",
    "equality",
    "content_digest",
    "fingerprint",
)


# Why a record is withdrawn, as a partner's staff choose it in the portal: codes only, so the
# audit log never holds a person's words.
WITHDRAWAL_REASONS: dict[str, str] = {
    "person-asked": "The person asked us to withdraw what they told us",
    "consent-not-valid": "Consent was not properly given or recorded",
    "sent-in-error": "The record was sent by mistake",
    "someone-else-asked": "Someone acting for the person asked us to withdraw it",
}


def withdraw_record(
    session: Session,
    actor: Actor,
    record_id: uuid.UUID,
    *,
    now: datetime | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Consent withdrawn: erase the person's words and equality data now; keep a tombstone.

    Only the partner that submitted the record can withdraw it; a second call changes nothing.
    No agreement is needed: a person's withdrawal is honoured whatever the partner's standing.
    ``reason``, when given, is one of WITHDRAWAL_REASONS and is kept in the audit event.
    """
    if reason is not None and reason not in WITHDRAWAL_REASONS:
        raise ValidationFailed(
            "Choose why the record is withdrawn.",
            errors={"reason": [f"Choose from: {', '.join(WITHDRAWAL_REASONS)}."]},
        )
    xact_lock(session, RELEASE_LOCK, shared=True)
    rec = session.scalar(
        sa.select(ExperienceRecord)
        .where(
            ExperienceRecord.id == record_id,
            ExperienceRecord.organisation_id == actor.organisation_id,
        )
        .with_for_update()
    )
    if rec is None:
        raise NotFound("No such experience record.")
    now = now or utcnow()
    consent = consent_services.consent_for(session, rec.id)
    consent_services.withdraw(session, actor, consent, now=now, reason=reason)
    if rec.status != WITHDRAWN:
        counts = location_counts.Changes()
        counts.before(rec)
        for name in ERASED_ON_WITHDRAWAL:
            setattr(rec, name, None)
        rec.status = WITHDRAWN
        rec.withdrawn_at = consent.withdrawn_at or now
        counts.after(rec)
        counts.apply(session, now=now)
        session.flush()
        queue(
            session,
            [
                notice(
                    CONSENT_WITHDRAWN_EVENT,
                    recipient,
                    object_type="experience",
                    object_id=rec.id,
                    now=now,
                    payload={
                        "experience_id": str(rec.id),
                        "partner_organisation_id": str(rec.organisation_id),
                        "withdrawn_at": rec.withdrawn_at.isoformat() if rec.withdrawn_at else None,
                    },
                )
                for recipient in recipients_holding(session, rec)
            ],
        )
    alert = alerts_for(session, [rec.id]).get(rec.id)
    return describe(rec, consent, alert, actor=actor)


@dataclass(frozen=True)
class WithdrawalReceipt:
    """What a partner is shown once a record is withdrawn: the tombstone, the consent receipt as
    it stands now, and the ``consent.withdrawn`` audit event (its seq and hash prove it)."""

    record: dict[str, Any]
    consent_receipt: dict[str, Any]
    event: AuditEvent | None


def withdrawal_receipt(
    session: Session, actor: Actor, record_id: uuid.UUID
) -> WithdrawalReceipt | None:
    """The receipt of the caller's own withdrawn record; None while it is not withdrawn."""
    rec = session.scalar(
        sa.select(ExperienceRecord).where(
            ExperienceRecord.id == record_id,
            ExperienceRecord.organisation_id == actor.organisation_id,
        )
    )
    if rec is None:
        raise NotFound("No such experience record.")
    if rec.status != WITHDRAWN:
        return None
    consent = consent_services.consent_for(session, rec.id)
    event = session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.action == "consent.withdrawn",
            AuditEvent.object_type == "experience",
            AuditEvent.object_id == str(rec.id),
        )
        .order_by(AuditEvent.occurred_at.desc())
        .limit(1)
    ).first()
    if event is not None and event.seq is None:
        chain_pending(session)
    alert = alerts_for(session, [rec.id]).get(rec.id)
    return WithdrawalReceipt(
        record=describe(rec, consent, alert, actor=actor),
        consent_receipt=consent_services.receipt(
            session, consent, partner_record_id=rec.partner_record_id
        ),
        event=event,
    )


def recipients_holding(session: Session, rec: ExperienceRecord) -> list[uuid.UUID]:
    """Who holds a copy of the record and must hear of changes to it: the regulator.

    Partners only ever receive anonymised aggregates, which withdrawal leaves alone.
    """
    return regulator_ids(session)


def erase_withdrawn(session: Session) -> int:
    """Erase what withdrawal erases from every withdrawn record still holding any of it (a
    record whose consent was withdrawn counts too); how many were changed."""
    r = ExperienceRecord
    columns = [getattr(r, name) for name in ERASED_ON_WITHDRAWAL]
    withdrawn_consent = sa.select(ConsentRecord.experience_id).where(
        ConsentRecord.status == CONSENT_WITHDRAWN
    )
    result = session.execute(
        sa.update(r)
        .where(
            sa.or_(r.status == WITHDRAWN, r.id.in_(withdrawn_consent)),
            sa.or_(*(column.is_not(None) for column in columns)),
        )
        .values(dict.fromkeys(ERASED_ON_WITHDRAWAL))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
