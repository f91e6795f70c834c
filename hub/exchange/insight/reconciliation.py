"""Reconciliation reports: one per partner per UTC day, rebuilt by each run of ``reconcile``.

A report holds ids and counts only:

- ``submissions``: completed submissions whose declared count differs from what was accounted
  for (accepted + rejected + replayed: a replay is an earlier acceptance seen again), with totals;
- ``records``: the partner's records by status, and those still waiting with their candidate
  locations (the partner's own record ids, so it can check them at source);
- ``duplicates``: groups of the partner's records that look like another partner's (the same
  fingerprint at intake, or marked a possible duplicate across partners), with how many
  records of how many other partners share them; other partners' ids are never shown.

Rebuilding the day's report in place (unique per organisation and day) keeps re-runs from
piling up copies.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.exchange.insight.models import ReconciliationReport
from hub.exchange.records.models import (
    NEEDS_RECONCILIATION,
    ExperienceRecord,
    ReconciliationCandidate,
    Submission,
    not_withdrawn,
)
from hub.keyset import keyset_page

MAX_LISTED = 200


def partners_reporting(session: Session) -> list[uuid.UUID]:
    """Every partner that has sent anything: each gets a report."""
    return sorted(
        set(session.scalars(sa.select(Submission.organisation_id).distinct()))
        | set(session.scalars(sa.select(ExperienceRecord.organisation_id).distinct()))
    )


def write_report(
    session: Session,
    org_id: uuid.UUID,
    duplicates: list[dict[uuid.UUID, list[uuid.UUID]]],
    *,
    now: datetime,
) -> None:
    """Write (or rewrite) one partner's report for ``now``'s day."""
    body = build_report(session, org_id, duplicates, now=now)
    row = session.scalar(
        sa.select(ReconciliationReport).where(
            ReconciliationReport.organisation_id == org_id,
            ReconciliationReport.period == now.date(),
        )
    )
    if row is None:
        session.add(
            ReconciliationReport(
                organisation_id=org_id, period=now.date(), created_at=now, body=body
            )
        )
    else:
        row.body = body
        row.created_at = now


def build_report(
    session: Session,
    org_id: uuid.UUID,
    duplicates: list[dict[uuid.UUID, list[uuid.UUID]]],
    *,
    now: datetime,
) -> dict[str, Any]:
    """One partner's report as it stands at ``now``."""
    return {
        "period": now.date().isoformat(),
        "generated_at": now.isoformat(),
        "submissions": _submissions(session, org_id),
        "records": _records(session, org_id),
        "duplicates": _duplicates_of(org_id, duplicates),
    }


def _submissions(session: Session, org_id: uuid.UUID) -> dict[str, Any]:
    s = Submission
    rows = session.execute(
        sa.select(
            s.id, s.declared_count, s.accepted_count, s.rejected_count, s.replayed_count
        ).where(s.organisation_id == org_id, s.status == "completed")
    ).all()
    totals = {"checked": len(rows), "declared": 0, "accepted": 0, "rejected": 0, "replayed": 0}
    mismatched = []
    for sub_id, declared, accepted, rejected, replayed in rows:
        totals["declared"] += declared
        totals["accepted"] += accepted
        totals["rejected"] += rejected
        totals["replayed"] += replayed
        if declared != accepted + rejected + replayed:
            mismatched.append(
                {
                    "submission_id": str(sub_id),
                    "declared": declared,
                    "accepted": accepted,
                    "rejected": rejected,
                    "replayed": replayed,
                }
            )
    return {**totals, "mismatched": mismatched[:MAX_LISTED], "mismatched_count": len(mismatched)}


def _records(session: Session, org_id: uuid.UUID) -> dict[str, Any]:
    r = ExperienceRecord
    by_status = dict(
        session.execute(
            sa.select(r.status, sa.func.count())
            .where(r.organisation_id == org_id)
            .group_by(r.status)
        ).all()
    )
    waiting = session.execute(
        sa.select(r.id, r.partner_record_id, ReconciliationCandidate.candidates)
        .outerjoin(ReconciliationCandidate, ReconciliationCandidate.experience_id == r.id)
        .where(r.organisation_id == org_id, r.status == NEEDS_RECONCILIATION)
        .order_by(r.received_at, r.id)
        .limit(MAX_LISTED)
    ).all()
    return {
        "by_status": {k: int(v) for k, v in by_status.items()},
        "waiting": [
            {"experience_id": str(i), "partner_record_id": p, "candidates": c or []}
            for i, p, c in waiting
        ],
    }


def duplicate_groups(session: Session) -> list[dict[uuid.UUID, list[uuid.UUID]]]:
    """Groups of records from two or more partners that look like the same account."""
    r = ExperienceRecord
    shared = (
        sa.select(r.fingerprint)
        .where(r.fingerprint.is_not(None), not_withdrawn())
        .group_by(r.fingerprint)
        .having(sa.func.count(sa.distinct(r.organisation_id)) > 1)
    )
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def find(x: uuid.UUID) -> uuid.UUID:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    def union(a: uuid.UUID, b: uuid.UUID) -> None:
        parent[find(a)] = find(b)

    org_of: dict[uuid.UUID, uuid.UUID] = {}
    first_of: dict[str, uuid.UUID] = {}
    for rec_id, org_id, fingerprint in session.execute(
        sa.select(r.id, r.organisation_id, r.fingerprint).where(r.fingerprint.in_(shared))
    ):
        org_of[rec_id] = org_id
        union(rec_id, first_of.setdefault(str(fingerprint), rec_id))
    other = sa.orm.aliased(ExperienceRecord)
    for rec_id, org_id, dup_id, dup_org in session.execute(
        sa.select(r.id, r.organisation_id, other.id, other.organisation_id)
        .join(other, other.id == r.possible_duplicate_of)
        .where(r.organisation_id != other.organisation_id, not_withdrawn())
    ):
        org_of[rec_id], org_of[dup_id] = org_id, dup_org
        union(rec_id, dup_id)
    groups: dict[uuid.UUID, dict[uuid.UUID, list[uuid.UUID]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for rec_id, org_id in org_of.items():
        groups[find(rec_id)][org_id].append(rec_id)
    return [{org: sorted(ids) for org, ids in g.items()} for g in groups.values() if len(g) > 1]


def _duplicates_of(
    org_id: uuid.UUID, groups: list[dict[uuid.UUID, list[uuid.UUID]]]
) -> list[dict[str, Any]]:
    mine: list[dict[str, Any]] = []
    for group in groups:
        if org_id not in group:
            continue
        others = [ids for org, ids in group.items() if org != org_id]
        mine.append(
            {
                "experience_ids": [str(i) for i in group[org_id]],
                "other_partners": len(others),
                "other_records": sum(len(ids) for ids in others),
            }
        )
    mine.sort(key=lambda d: str(d["experience_ids"]))
    return mine[:MAX_LISTED]


def list_reports(
    session: Session,
    actor: Actor,
    *,
    organisation_id: uuid.UUID | None,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[ReconciliationReport], list[Any] | None]:
    """One page of reports, newest first: a partner's own; the regulator's choice or all."""
    stmt: Any = sa.select(ReconciliationReport)
    if not actor.is_regulator:
        stmt = stmt.where(ReconciliationReport.organisation_id == actor.organisation_id)
    elif organisation_id is not None:
        stmt = stmt.where(ReconciliationReport.organisation_id == organisation_id)
    keys: list[Any] = [ReconciliationReport.created_at, ReconciliationReport.id]
    rows: list[ReconciliationReport]
    rows, next_key = keyset_page(session, stmt, keys, limit=limit, after=after, descending=True)
    return rows, next_key
