"""What is written beside newly stored records: their consents, safeguarding alerts, notices to
the regulator and audit events, each in bulk for the whole list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record_many
from hub.consent.services import add_consents, consent_row
from hub.exchange.notify import mail as notify_mail
from hub.exchange.notify.notices import SAFEGUARDING_ALERT, notice, queue, regulator_ids
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.enrich import Row
from hub.exchange.records.integrity import record_digests
from hub.exchange.records.items import CREATED, ItemResult, Prepared, Written
from hub.safeguarding.rules import Deadlines
from hub.safeguarding.services import AlertTarget, raise_alerts


def write_dependants(
    session: Session,
    actor: Actor,
    prepared: Prepared,
    rows: list[Row],
    *,
    config: IntakeConfig,
    now: datetime,
) -> None:
    if not rows:
        return
    consents = [
        consent_row(
            experience_id=r.record["id"],
            organisation_id=prepared.organisation_id,
            terms=r.item.candidate.consent,
            now=now,
        )
        for r in rows
    ]
    add_consents(session, consents)
    digests = {
        r.record["id"]: record_digests(config.digest_key, r.record, c)
        for r, c in zip(rows, consents, strict=True)
    }
    targets = [
        AlertTarget(r.record["id"], prepared.organisation_id, r.record["location_id"], r.assessment)
        for r in rows
        if r.assessment is not None
    ]
    alerts = raise_and_notify(session, actor, targets, deadlines=config.deadlines, now=now)
    alert_of = {a["experience_id"]: a for a in alerts}
    events = []
    for r, consent in zip(rows, consents, strict=True):
        rec, cand = r.record, r.item.candidate
        alert = alert_of.get(rec["id"])
        prepared.results[r.item.index] = ItemResult(
            r.item.index,
            cand.partner_record_id,
            CREATED,
            id=rec["id"],
            record_status=rec["status"],
            equality_dropped=cand.equality_dropped,
            alert_id=alert["id"] if alert else None,
            alert={k: alert[k] for k in ("categories", "immediate", "due_at", "reasons")}
            if alert
            else None,
            written=Written(rec, consent, alert),
        )
        events.append(
            (
                rec["id"],
                {
                    "submission_id": str(rec["submission_id"]),
                    "partner_record_id": cand.partner_record_id,
                    "status": rec["status"],
                    "location_id": rec["location_id"],
                    "redactions": rec["redactions"],
                    "equality_dropped": cand.equality_dropped,
                    "safeguarding_alert": alert is not None,
                    "possible_duplicate": rec["possible_duplicate_of"] is not None,
                    # What was stored, pinned so that an edit is found (hub audit verify).
                    **digests[rec["id"]],
                },
            )
        )
    # One event per record, chained with the transaction's others and written in one insert.
    record_many(
        session,
        actor,
        "experience.created",
        events,
        object_type="experience",
        organisation_id=prepared.organisation_id,
        now=now,
    )


def raise_and_notify(
    session: Session,
    actor: Actor,
    targets: Sequence[AlertTarget],
    *,
    deadlines: Deadlines,
    now: datetime,
) -> list[dict[str, Any]]:
    """Open an alert per target and queue a notice of each to every regulator; the alerts."""
    alerts = raise_alerts(session, actor, targets, deadlines=deadlines, now=now)
    if alerts:
        regulators = regulator_ids(session)
        queue(
            session,
            [
                notice(
                    SAFEGUARDING_ALERT,
                    regulator,
                    object_type="safeguarding_alert",
                    object_id=a["id"],
                    now=now,
                    payload={
                        "alert_id": str(a["id"]),
                        "experience_id": str(a["experience_id"]),
                        "location_id": a["location_id"],
                        "categories": a["categories"],
                        "immediate": a["immediate"],
                        "due_at": a["due_at"].isoformat(),
                        # Why, as the queue shows it: words quoted with identifiers hidden.
                        "reasons": a["reasons"],
                    },
                )
                for a in alerts
                for regulator in regulators
            ],
        )
        notify_mail.safeguarding_alerts(session, alerts, regulators, now=now)
    return alerts
