"""Records waiting for a location (``needs_reconciliation``): linking them, or listing candidates.

Each record is tried, in order: the submitted location id as the registry knows it today
(directly or through predecessor links, for a service re-registered since), then the submitted
service name and postcode against registry locations (``hub.registry.matching_rules``: linked
only above a documented score and margin). A linked record takes the location and becomes
``accepted`` in the caller's transaction; one still unmatched keeps its best candidates in
``reconciliation_candidates`` for a person to choose from.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.exchange.records.location_counts import Changes
from hub.exchange.records.models import (
    ACCEPTED,
    NEEDS_RECONCILIATION,
    ExperienceRecord,
    ReconciliationCandidate,
)
from hub.registry.lookup import registry_candidates
from hub.registry.matching_rules import MatchDecision, decide
from hub.registry.services import resolve_current

OUTCOMES = ("linked_by_id", "linked_by_name", "waiting")


def resolve_batch(
    session: Session, *, after: uuid.UUID | None, limit: int, now: datetime, actor: Actor
) -> tuple[dict[str, int], uuid.UUID | None]:
    """Try the next ``limit`` waiting records by id after ``after``: how each was resolved, and
    the last id seen (None when no waiting record was left)."""
    stats = dict.fromkeys(OUTCOMES, 0)
    stmt = sa.select(ExperienceRecord).where(ExperienceRecord.status == NEEDS_RECONCILIATION)
    if after is not None:
        stmt = stmt.where(ExperienceRecord.id > after)
    batch = list(session.scalars(stmt.order_by(ExperienceRecord.id).limit(limit)))
    counts = Changes()
    for rec in batch:
        counts.before(rec)
        stats[_resolve(session, rec, now=now, actor=actor)] += 1
        counts.after(rec)
    counts.apply(session, now=now)
    return stats, (batch[-1].id if batch else None)


def _resolve(session: Session, rec: ExperienceRecord, *, now: datetime, actor: Actor) -> str:
    if rec.submitted_location_id:
        current = resolve_current(session, rec.submitted_location_id)
        if current is not None:
            _link(session, rec, current.id, "id", None, now=now, actor=actor)
            return "linked_by_id"
    decision = decide(
        registry_candidates(session, rec.service_name, rec.service_postcode),
        rec.service_name,
        rec.service_postcode,
    )
    if decision.location_id is not None:
        best = decision.candidates[0].score
        _link(session, rec, decision.location_id, "name", best, now=now, actor=actor)
        return "linked_by_name"
    _keep_candidates(session, rec.id, decision, now=now)
    return "waiting"


def _link(
    session: Session,
    rec: ExperienceRecord,
    location_id: str,
    method: str,
    score: float | None,
    *,
    now: datetime,
    actor: Actor,
) -> None:
    rec.location_id = location_id
    rec.status = ACCEPTED
    session.execute(
        sa.delete(ReconciliationCandidate).where(ReconciliationCandidate.experience_id == rec.id)
    )
    details: dict[str, Any] = {"location_id": location_id, "method": method}
    if score is not None:
        details["score"] = score
    record(
        session,
        actor,
        "experience.reconciled",
        object_type="experience",
        object_id=rec.id,
        organisation_id=rec.organisation_id,
        details=details,
        now=now,
    )


def _keep_candidates(
    session: Session, experience_id: uuid.UUID, decision: MatchDecision, *, now: datetime
) -> None:
    listed = [{"location_id": c.location_id, "score": c.score} for c in decision.candidates]
    row = session.get(ReconciliationCandidate, experience_id)
    if row is None:
        session.add(
            ReconciliationCandidate(experience_id=experience_id, candidates=listed, checked_at=now)
        )
    else:
        row.candidates = listed
        row.checked_at = now
