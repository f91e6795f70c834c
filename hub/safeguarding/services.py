"""Raising safeguarding alerts at intake and working the regulator's queue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import Forbidden, NotFound, ValidationFailed
from hub.keyset import keyset_page
from hub.safeguarding.findings import CATEGORIES
from hub.safeguarding.models import SafeguardingAlert
from hub.safeguarding.rules import (
    ACKNOWLEDGED,
    OPEN,
    QUEUE_RANK,
    REFERRED,
    STATUSES,
    Assessment,
    Deadlines,
)

MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class AlertTarget:
    """The record an alert is about.

    ``received_at`` is when the record came in: None at intake (it is now); a rescan that finds
    a concern intake missed passes the record's time, and the alert is marked found late.
    """

    experience_id: uuid.UUID
    organisation_id: uuid.UUID
    location_id: str | None
    assessment: Assessment
    received_at: datetime | None = None


def raise_alerts(
    session: Session,
    actor: Actor,
    targets: Sequence[AlertTarget],
    *,
    deadlines: Deadlines,
    now: datetime,
) -> list[dict[str, Any]]:
    """Open one alert per target in the caller's transaction; returns the rows written."""
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "experience_id": t.experience_id,
            "organisation_id": t.organisation_id,
            "location_id": t.location_id,
            "categories": list(t.assessment.categories),
            "immediate": t.assessment.immediate,
            "source": t.assessment.source,
            "rules": list(t.assessment.rules),
            "reasons": [r.as_dict() for r in t.assessment.reasons],
            "status": OPEN,
            "queue_rank": QUEUE_RANK[OPEN],
            "raised_at": now,
            "due_at": deadlines.due(now, t.assessment.immediate),
            "found_late": t.received_at is not None,
            "received_at": t.received_at or now,
        }
        for t in targets
    ]
    if not rows:
        return rows
    session.execute(sa.insert(SafeguardingAlert), rows)
    for row in rows:
        record(
            session,
            actor,
            "safeguarding.alert_raised",
            object_type="safeguarding_alert",
            object_id=row["id"],
            organisation_id=row["organisation_id"],
            details={
                "experience_id": str(row["experience_id"]),
                "categories": row["categories"],
                "immediate": row["immediate"],
                "source": row["source"],
                "due_at": row["due_at"].isoformat(),
                "found_late": row["found_late"],
                "received_at": row["received_at"].isoformat(),
            },
            now=now,
        )
    return rows


def _require_regulator(actor: Actor) -> None:
    if not (actor.is_regulator or actor.kind == "system"):
        raise Forbidden("Only the regulator works the safeguarding queue.")


def list_alerts(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    limit: int,
    after: list[Any] | None = None,
) -> tuple[list[SafeguardingAlert], list[Any] | None]:
    """The queue: open alerts first, each group soonest-due first."""
    _require_regulator(actor)
    stmt = sa.select(SafeguardingAlert)
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed(
                "Unknown alert status.", errors={"status": [f"Choose from: {', '.join(STATUSES)}."]}
            )
        stmt = stmt.where(SafeguardingAlert.status == status)
    keys: list[Any] = [SafeguardingAlert.queue_rank, SafeguardingAlert.due_at, SafeguardingAlert.id]
    page_stmt: Any = stmt
    rows: list[SafeguardingAlert]
    rows, next_key = keyset_page(session, page_stmt, keys, limit=limit, after=after)
    return rows, next_key


# The queue's status filter: what is still to be done (open or acknowledged), one state, or all.
TO_DO = "to-do"
ALL = "all"
QUEUE_STATUSES = (TO_DO, *STATUSES, ALL)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which alerts of the queue to show (the portal's filters)."""

    status: str = TO_DO
    category: str | None = None
    overdue: bool = False


def queue_alerts(
    session: Session,
    actor: Actor,
    filters: QueueFilter,
    *,
    now: datetime,
    offset: int,
    limit: int,
) -> tuple[list[SafeguardingAlert], int]:
    """One page of the queue, soonest due first, and how many alerts the filters match.

    ``overdue`` keeps the open alerts whose due time has passed (as :func:`describe` marks
    them); ``category`` the alerts that name it.
    """
    _require_regulator(actor)
    errors: dict[str, list[str]] = {}
    if filters.status not in QUEUE_STATUSES:
        errors["status"] = [f"Choose from: {', '.join(QUEUE_STATUSES)}."]
    if filters.category is not None and filters.category not in CATEGORIES:
        errors["category"] = [f"Choose from: {', '.join(CATEGORIES)}."]
    if errors:
        raise ValidationFailed("Unknown queue filter.", errors=errors)
    conditions: list[Any] = []
    if filters.status == TO_DO:
        conditions.append(SafeguardingAlert.status.in_((OPEN, ACKNOWLEDGED)))
    elif filters.status != ALL:
        conditions.append(SafeguardingAlert.status == filters.status)
    if filters.overdue:
        conditions += [SafeguardingAlert.status == OPEN, SafeguardingAlert.due_at < now]
    if filters.category is not None:
        # Categories are a JSON list of known slugs: its text holds the quoted slug exactly
        # when the list does ('"neglect"' is not inside '"self-neglect"').
        text = sa.cast(SafeguardingAlert.categories, sa.Text)
        conditions.append(text.contains(json.dumps(filters.category), autoescape=True))
    total = session.scalar(
        sa.select(sa.func.count()).select_from(SafeguardingAlert).where(*conditions)
    )
    rows = session.scalars(
        sa.select(SafeguardingAlert)
        .where(*conditions)
        .order_by(SafeguardingAlert.due_at, SafeguardingAlert.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total or 0)


def alerts_for(
    session: Session, experience_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SafeguardingAlert]:
    """The alert of each record that has one."""
    if not experience_ids:
        return {}
    rows = session.scalars(
        sa.select(SafeguardingAlert).where(SafeguardingAlert.experience_id.in_(experience_ids))
    )
    return {row.experience_id: row for row in rows}


def get_alert(session: Session, actor: Actor, alert_id: uuid.UUID) -> SafeguardingAlert:
    """One alert, for the regulator."""
    _require_regulator(actor)
    alert = session.get(SafeguardingAlert, alert_id)
    if alert is None:
        raise NotFound("No such safeguarding alert.")
    return alert


def acknowledge(
    session: Session, actor: Actor, alert_id: uuid.UUID, *, now: datetime | None = None
) -> SafeguardingAlert:
    """Someone at the regulator has seen the alert; acknowledging twice changes nothing."""
    alert = get_alert(session, actor, alert_id)
    if alert.acknowledged_at is not None:
        return alert
    now = now or utcnow()
    alert.acknowledged_at = now
    alert.acknowledged_by = actor.label
    if alert.status == OPEN:
        alert.status = ACKNOWLEDGED
        alert.queue_rank = QUEUE_RANK[ACKNOWLEDGED]
    session.flush()
    record(
        session,
        actor,
        "safeguarding.alert_acknowledged",
        object_type="safeguarding_alert",
        object_id=alert.id,
        organisation_id=alert.organisation_id,
        details={"experience_id": str(alert.experience_id), "overdue": now > alert.due_at},
        now=now,
    )
    return alert


def refer(
    session: Session,
    actor: Actor,
    alert_id: uuid.UUID,
    *,
    reason: str,
    now: datetime | None = None,
) -> SafeguardingAlert:
    """Record that the concern was passed on (e.g. to the local authority); once only."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(
            "Say where the concern was referred and why.",
            errors={"reason": [f"1 to {MAX_REASON} characters."]},
        )
    alert = get_alert(session, actor, alert_id)
    if alert.status == REFERRED:
        return alert
    now = now or utcnow()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, actor.label
    alert.status = REFERRED
    alert.queue_rank = QUEUE_RANK[REFERRED]
    alert.referred_at, alert.referred_by, alert.referral_reason = now, actor.label, reason
    session.flush()
    # The reason is free text and may name people: it stays in the alert, not in the audit log.
    record(
        session,
        actor,
        "safeguarding.alert_referred",
        object_type="safeguarding_alert",
        object_id=alert.id,
        organisation_id=alert.organisation_id,
        details={"experience_id": str(alert.experience_id)},
        now=now,
    )
    return alert


def describe(alert: SafeguardingAlert, *, now: datetime) -> dict[str, Any]:
    """An alert as the API and portal show it."""
    return {
        "id": alert.id,
        "experience_id": alert.experience_id,
        "organisation_id": alert.organisation_id,
        "location_id": alert.location_id,
        "categories": list(alert.categories or []),
        "immediate": alert.immediate,
        "source": alert.source,
        "reasons": list(alert.reasons or []),
        "status": alert.status,
        "raised_at": alert.raised_at,
        "found_late": bool(alert.found_late),
        "received_at": alert.received_at or alert.raised_at,
        "due_at": alert.due_at,
        "overdue": alert.status == OPEN and now > alert.due_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by,
        "referred_at": alert.referred_at,
        "referred_by": alert.referred_by,
        "referral_reason": alert.referral_reason,
    }
