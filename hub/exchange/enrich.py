"""Enriching new records for storage, and writing what depends on them.

Each step covers the whole list at once: batched redaction and scoring, one registry query,
one fingerprint query, bulk inserts of consents, alerts and notices.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.consent.services import add_consents, consent_row
from hub.exchange.fingerprint import fingerprint, location_key
from hub.exchange.matching import current_locations, record_status
from hub.exchange.models import ExperienceRecord
from hub.exchange.outbox import SAFEGUARDING_ALERT, notice, queue, regulator_ids
from hub.exchange.results import CREATED, IntakeConfig, Item, ItemResult, Prepared
from hub.exchange.sentiment import score_many
from hub.privacy.redaction import redact_many
from hub.safeguarding.classifier import classify
from hub.safeguarding.rules import Assessment, assess
from hub.safeguarding.services import AlertTarget, raise_alerts


@dataclass
class Row:
    item: Item
    record: dict[str, Any]
    assessment: Assessment | None


def build_rows(
    session: Session,
    prepared: Prepared,
    *,
    submission_id: uuid.UUID,
    config: IntakeConfig,
    now: datetime,
) -> list[Row]:
    items = prepared.new
    if not items:
        return []
    narratives = [i.candidate.narrative for i in items]
    redacted = redact_many(narratives)
    scores = score_many(narratives)
    submitted = [i.candidate.fields["submitted_location_id"] for i in items]
    current = current_locations(session, [x for x in submitted if x])
    places: list[str | None] = [current.get(x) if x else None for x in submitted]
    prints = [
        fingerprint(
            config.fingerprint_key,
            item.candidate.narrative,
            location_key(
                place or item.candidate.fields["submitted_location_id"],
                item.candidate.fields["service_name"],
                item.candidate.fields["service_postcode"],
            ),
            f"{item.candidate.fields['experience_date']:%Y-%m}",
        )
        for item, place in zip(items, places, strict=True)
    ]
    earlier = _earlier_fingerprints(session, prepared.organisation_id, prints)
    rows = []
    for n, item in enumerate(items):
        cand, print_ = item.candidate, prints[n]
        assessment = assess(
            concern=cand.concern,
            immediate_risk=cand.immediate_risk,
            categories=cand.categories,
            classification=classify(cand.narrative),
        )
        record_row = {
            **cand.fields,
            "id": uuid.uuid4(),
            "organisation_id": prepared.organisation_id,
            "partner_record_id": cand.partner_record_id,
            "submission_id": submission_id,
            "status": record_status(places[n]),
            "received_at": now,
            "withdrawn_at": None,
            "content_digest": item.digest,
            "location_id": places[n],
            "sentiment_score": scores[n],
            "narrative": cand.narrative,
            "narrative_redacted": redacted[n].text,
            "redactions": dict(redacted[n].entities),
            "safeguarding_concern": cand.concern,
            "safeguarding_immediate": cand.immediate_risk,
            "safeguarding_categories": list(cand.categories),
            "fingerprint": print_,
            "possible_duplicate_of": earlier.get(print_) if print_ else None,
        }
        rows.append(Row(item, record_row, assessment))
    return rows


def _earlier_fingerprints(
    session: Session, organisation_id: uuid.UUID, prints: Sequence[str | None]
) -> dict[str, uuid.UUID]:
    """The first record from another partner with each fingerprint."""
    wanted = sorted({p for p in prints if p})
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(ExperienceRecord.fingerprint, ExperienceRecord.id)
        .where(
            ExperienceRecord.fingerprint.in_(wanted),
            ExperienceRecord.organisation_id != organisation_id,
        )
        .order_by(ExperienceRecord.received_at, ExperienceRecord.id)
    )
    first: dict[str, uuid.UUID] = {}
    for fp, record_id in rows:
        if fp is not None:
            first.setdefault(fp, record_id)
    return first


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
    add_consents(
        session,
        [
            consent_row(
                experience_id=r.record["id"],
                organisation_id=prepared.organisation_id,
                terms=r.item.candidate.consent,
                now=now,
            )
            for r in rows
        ],
    )
    targets = [
        AlertTarget(r.record["id"], prepared.organisation_id, r.record["location_id"], r.assessment)
        for r in rows
        if r.assessment is not None
    ]
    alerts = raise_alerts(session, actor, targets, deadlines=config.deadlines, now=now)
    alert_of = {a["experience_id"]: a for a in alerts}
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
                    },
                )
                for a in alerts
                for regulator in regulators
            ],
        )
    for r in rows:
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
        )
        record(
            session,
            actor,
            "experience.created",
            object_type="experience",
            object_id=rec["id"],
            organisation_id=prepared.organisation_id,
            now=now,
            details={
                "submission_id": str(rec["submission_id"]),
                "partner_record_id": cand.partner_record_id,
                "status": rec["status"],
                "location_id": rec["location_id"],
                "redactions": rec["redactions"],
                "equality_dropped": cand.equality_dropped,
                "safeguarding_alert": alert is not None,
                "possible_duplicate": rec["possible_duplicate_of"] is not None,
            },
        )
