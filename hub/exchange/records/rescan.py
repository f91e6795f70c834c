"""Reading stored records again with today's engines, while their raw words are kept.

A record is due when its raw narrative is still kept (received within the retention period,
not withdrawn) and it was last read with other engines than today's (``scanned_with`` differs
from :func:`hub.exchange.records.scan.engines_version`; NULL for records older than the mark).
Each batch, in the caller's transaction, reads its records with the same functions intake uses
and then:

- stores the new redacted copy where it differs (and its counts), and masks again the reasons of
  the record's alert, if it has one, so they quote no identifier the new copy hides;
- raises an alert, through the same path as intake (notices to the regulator included), for a
  record whose concern is newly found: one without an alert that the engines now say needs
  one. It is marked found late and carries the record's original received time;
- writes an ``experience.rescanned`` audit event for every record it changed;
- marks every record it read with today's engines, so nothing is read twice.

Rows are locked as they are read (``FOR UPDATE`` on PostgreSQL) so a withdrawal committing
meanwhile waits for the batch, then erases what it wrote.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.exchange.records.dependants import raise_and_notify
from hub.exchange.records.models import WITHDRAWN, ExperienceRecord
from hub.exchange.records.scan import assessment_of, engines_version, redact_narratives
from hub.safeguarding.findings import remasked
from hub.safeguarding.models import SafeguardingAlert
from hub.safeguarding.rules import Deadlines
from hub.safeguarding.services import AlertTarget


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What one batch did; ``last`` is the id to continue after (None: nothing was left)."""

    read: int
    re_redacted: int
    alerts_raised: int
    last: uuid.UUID | None
    reasons_remasked: int = 0


def due(cutoff: datetime, version: str) -> sa.ColumnElement[bool]:
    """Records whose raw words are kept and that today's engines have not read."""
    r = ExperienceRecord
    return sa.and_(
        r.narrative.is_not(None),
        r.withdrawn_at.is_(None),
        r.status != WITHDRAWN,
        r.received_at >= cutoff,
        sa.or_(r.scanned_with.is_(None), r.scanned_with != version),
    )


def rescan_batch(
    session: Session,
    actor: Actor,
    *,
    cutoff: datetime,
    after: uuid.UUID | None,
    limit: int,
    deadlines: Deadlines,
    now: datetime,
) -> BatchOutcome:
    """Read again up to ``limit`` due records with ids after ``after`` (in id order)."""
    version = engines_version()
    r = ExperienceRecord
    stmt = sa.select(r).where(due(cutoff, version)).order_by(r.id).limit(limit)
    if after is not None:
        stmt = stmt.where(r.id > after)
    records = list(session.scalars(stmt.with_for_update()))
    if not records:
        return BatchOutcome(0, 0, 0, None)
    narratives = [rec.narrative or "" for rec in records]
    redacted = redact_narratives(session, narratives)
    alerted = {
        alert.experience_id: alert
        for alert in session.scalars(
            sa.select(SafeguardingAlert).where(
                SafeguardingAlert.experience_id.in_([rec.id for rec in records])
            )
        )
    }
    targets: list[AlertTarget] = []
    changed: dict[uuid.UUID, dict[str, int]] = {}
    remasked_alerts: set[uuid.UUID] = set()
    for rec, result in zip(records, redacted, strict=True):
        if rec.narrative_redacted != result.text:
            changed[rec.id] = dict(rec.redactions or {})
            rec.narrative_redacted = result.text
            rec.redactions = dict(result.entities)
            existing = alerted.get(rec.id)
            if existing is not None:
                reasons = remasked(existing.reasons or [], rec.narrative or "", result.hidden)
                if reasons != list(existing.reasons or []):
                    existing.reasons = reasons
                    remasked_alerts.add(rec.id)
        if rec.id not in alerted:
            assessment = assessment_of(
                rec.narrative or "",
                result,
                concern=rec.safeguarding_concern,
                immediate_risk=rec.safeguarding_immediate,
                categories=rec.safeguarding_categories or [],
            )
            if assessment is not None:
                targets.append(
                    AlertTarget(
                        rec.id,
                        rec.organisation_id,
                        rec.location_id,
                        assessment,
                        received_at=rec.received_at,
                    )
                )
        rec.scanned_with = version
    session.flush()
    alerts = raise_and_notify(session, actor, targets, deadlines=deadlines, now=now)
    alert_of = {a["experience_id"]: a for a in alerts}
    for rec in records:
        alert = alert_of.get(rec.id)
        if rec.id not in changed and alert is None:
            continue
        record(
            session,
            actor,
            "experience.rescanned",
            object_type="experience",
            object_id=rec.id,
            organisation_id=rec.organisation_id,
            now=now,
            details={
                "engines": version[:16],
                "redaction_changed": rec.id in changed,
                "redactions_before": changed.get(rec.id, rec.redactions),
                "redactions": rec.redactions,
                "safeguarding_alert": str(alert["id"]) if alert else None,
                "alert_reasons_remasked": rec.id in remasked_alerts,
            },
        )
    return BatchOutcome(
        len(records), len(changed), len(alerts), records[-1].id, len(remasked_alerts)
    )
