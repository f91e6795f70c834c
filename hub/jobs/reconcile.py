"""The ``reconcile`` job: link records that wait for reconciling, then report to each partner.

A record waits (``needs_reconciliation``) when intake could not tie it to a registry location.
Each run tries, in order: the submitted location id as the registry knows it today (directly or
through predecessor links, for a service re-registered since), then the submitted service name
and postcode against registry locations (``hub.registry.matching_rules``: linked only above a
documented score and margin). A linked record takes the location and becomes ``accepted`` in
the same transaction; one still unmatched keeps its best candidates in
``reconciliation_candidates`` for a person to choose from.

Then every partner's report for the day is rebuilt (``hub.jobs.reconcile_reports``), and the
ledger's months that are over are closed: rolled up per organisation and frozen
(``hub.exchange.ledger_rollup`` states the rule).

Resumable: records are taken in batches by id, each batch in its own transaction, and only
records still waiting are read, so a killed run's linked records are never linked again; each
ledger month is closed in its own transaction, and only months still missing rows are read.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.audit.services import record
from hub.context import HubContext
from hub.db import transaction
from hub.exchange import ledger_rollup
from hub.exchange.models import ExperienceRecord
from hub.jobs.reconcile_models import ReconciliationCandidate
from hub.jobs.reconcile_reports import write_reports
from hub.privacy.generalise import postcode_district
from hub.registry.matching_rules import Candidate, MatchDecision, decide, normalise_name
from hub.registry.models import Location
from hub.registry.services import resolve_current

JOB_NAME = "reconcile"
BATCH = 200
NEEDS_RECONCILIATION = "needs_reconciliation"
ACCEPTED = "accepted"
_MAX_REGISTRY_ROWS = 200
_NAME_WORDS_SEARCHED = 2


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Link what can be linked, list candidates for the rest, and rebuild today's reports."""
    actor = system(f"job:{JOB_NAME}")
    stats = resolve_waiting(session_factory, now=now, actor=actor)
    stats["reports"] = write_reports(session_factory, now=now)
    stats.update(close_ledger_months(session_factory, now=now, actor=actor))
    return stats


def close_ledger_months(
    session_factory: sessionmaker[Session], *, now: datetime, actor: Actor
) -> dict[str, Any]:
    """Roll up every settled month still missing rows, one month per transaction."""
    with transaction(session_factory) as session:
        months = ledger_rollup.months_to_close(session, now=now)
    closed: list[str] = []
    waiting: list[str] = []
    for month in months:
        with transaction(session_factory) as session:
            if not ledger_rollup.is_settled(session, month):
                waiting.append(f"{month:%Y-%m}")
                continue
            if ledger_rollup.close_month(session, actor, month):
                closed.append(f"{month:%Y-%m}")
    return {"ledger_months_closed": closed, "ledger_months_waiting": waiting}


def resolve_waiting(
    session_factory: sessionmaker[Session], *, now: datetime, actor: Actor
) -> dict[str, Any]:
    """Go through every waiting record once; counts of how each was resolved."""
    stats = {"linked_by_id": 0, "linked_by_name": 0, "waiting": 0}
    after: uuid.UUID | None = None
    while True:
        with transaction(session_factory) as session:
            stmt = sa.select(ExperienceRecord).where(
                ExperienceRecord.status == NEEDS_RECONCILIATION
            )
            if after is not None:
                stmt = stmt.where(ExperienceRecord.id > after)
            batch = list(session.scalars(stmt.order_by(ExperienceRecord.id).limit(BATCH)))
            for rec in batch:
                stats[_resolve(session, rec, now=now, actor=actor)] += 1
        if len(batch) < BATCH:
            return stats
        after = batch[-1].id


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


def registry_candidates(
    session: Session, name: str | None, postcode: str | None
) -> list[Candidate]:
    """Locations worth scoring: those in the postcode's district and those sharing a long word."""
    conditions: list[sa.ColumnElement[bool]] = []
    district = postcode_district(postcode) if postcode else None
    if district:
        conditions.append(Location.postcode.like(f"{district} %"))
    words = sorted(normalise_name(name or "").split(), key=len, reverse=True)
    for word in words[:_NAME_WORDS_SEARCHED]:
        if len(word) >= 4:
            conditions.append((sa.literal(" ") + Location.name_search).like(f"% {word}%"))
    if not conditions:
        return []
    rows = session.execute(
        sa.select(Location.id, Location.name, Location.postcode)
        .where(sa.or_(*conditions))
        .order_by(Location.id)
        .limit(_MAX_REGISTRY_ROWS)
    )
    return [Candidate(location_id=r[0], name=r[1], postcode=r[2]) for r in rows]


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
