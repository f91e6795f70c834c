"""The reciprocity ledger: what each partner gave the hub and got back, month by month."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.consent.models import ConsentRecord
from hub.errors import NotFound, ValidationFailed
from hub.exchange.dataset_models import Delivery
from hub.exchange.models import ExperienceRecord, Submission
from hub.exchange.outcome_models import Outcome, OutcomeRecord
from hub.identity.models import Organisation

REGULATOR_READ = "regulator:read"
MAX_MONTHS = 120
DEFAULT_MONTHS = 12
COUNTS = (
    "records_submitted",
    "records_accepted",
    "records_rejected",
    "records_withdrawn",
    "releases_received",
    "outcomes_received",
)


def month_start(value: date) -> date:
    """The first day of ``value``'s month."""
    return value.replace(day=1)


def add_months(value: date, months: int) -> date:
    """The first day of the month ``months`` after ``value``'s."""
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive, as ``YYYY-MM``."""
    out: list[str] = []
    current = month_start(first)
    while current <= last:
        out.append(f"{current:%Y-%m}")
        current = add_months(current, 1)
    return out


def _month(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    # SQLite keeps UTC timestamps as ISO text: the month is its first seven characters.
    return sa.func.substr(column, 1, 7)


def _grouped(session: Session, stmt: sa.Select[Any]) -> dict[str, tuple[int, ...]]:
    return {row[0]: tuple(int(v or 0) for v in row[1:]) for row in session.execute(stmt)}


def _window(column: Any, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column < end)


def _by_org(column: Any, organisation_id: uuid.UUID | None) -> sa.ColumnElement[bool]:
    return sa.true() if organisation_id is None else column == organisation_id


def _scope(session: Session, actor: Actor, organisation_id: uuid.UUID | None) -> uuid.UUID | None:
    """Whose ledger the caller may read: its own, or for the regulator any one (or all: None)."""
    if not actor.has(REGULATOR_READ):
        if organisation_id is not None and organisation_id != actor.organisation_id:
            raise NotFound("No such organisation.")
        return actor.organisation_id
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise NotFound("No such organisation.")
    return organisation_id


def ledger(
    session: Session,
    actor: Actor,
    *,
    first: date | None = None,
    last: date | None = None,
    organisation_id: uuid.UUID | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Counts per month from ``first``'s month to ``last``'s (default: the last twelve months)."""
    org = _scope(session, actor, organisation_id)
    today = today or datetime.now(UTC).date()
    last = month_start(last or today)
    first = month_start(first or add_months(last, 1 - DEFAULT_MONTHS))
    if first > last:
        raise ValidationFailed("The range ends before it starts.", errors={"to": ["Before from."]})
    months = months_between(first, last)
    if len(months) > MAX_MONTHS:
        raise ValidationFailed(
            "The range is too long.", errors={"from": [f"At most {MAX_MONTHS} months."]}
        )
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(add_months(last, 1), datetime.min.time(), tzinfo=UTC)
    table = _counts(session, org, start, end)
    return {
        "organisation_id": str(org) if org else None,
        "months": [
            {"month": m, **dict(zip(COUNTS, table.get(m, (0,) * len(COUNTS)), strict=True))}
            for m in months
        ],
    }


def _counts(
    session: Session, org: uuid.UUID | None, start: datetime, end: datetime
) -> dict[str, tuple[int, ...]]:
    sub_month = _month(session, Submission.created_at)
    submissions = _grouped(
        session,
        sa.select(
            sub_month,
            sa.func.sum(Submission.declared_count),
            sa.func.sum(Submission.accepted_count),
            sa.func.sum(Submission.rejected_count),
        )
        .where(
            _by_org(Submission.organisation_id, org),
            _window(Submission.created_at, start, end),
        )
        .group_by(sub_month),
    )
    wd_month = _month(session, ExperienceRecord.withdrawn_at)
    withdrawn = _grouped(
        session,
        sa.select(wd_month, sa.func.count())
        .where(
            _by_org(ExperienceRecord.organisation_id, org),
            ExperienceRecord.withdrawn_at.is_not(None),
            _window(ExperienceRecord.withdrawn_at, start, end),
        )
        .group_by(wd_month),
    )
    dl_month = _month(session, Delivery.delivered_at)
    deliveries = _grouped(
        session,
        sa.select(dl_month, sa.func.count())
        .where(_by_org(Delivery.organisation_id, org), _window(Delivery.delivered_at, start, end))
        .group_by(dl_month),
    )
    outcomes = _outcomes(session, org, start, end)
    table: dict[str, tuple[int, ...]] = {}
    for month in set(submissions) | set(withdrawn) | set(deliveries) | set(outcomes):
        table[month] = (
            *submissions.get(month, (0, 0, 0)),
            *withdrawn.get(month, (0,)),
            *deliveries.get(month, (0,)),
            *outcomes.get(month, (0,)),
        )
    return table


def _outcomes(
    session: Session, org: uuid.UUID | None, start: datetime, end: datetime
) -> dict[str, tuple[int, ...]]:
    """Outcomes relayed to partners: on their records whose consent allows feedback."""
    relayed = (
        sa.select(
            OutcomeRecord.outcome_id.label("outcome_id"),
            ExperienceRecord.organisation_id.label("organisation_id"),
        )
        .join(ExperienceRecord, ExperienceRecord.id == OutcomeRecord.record_id)
        .join(ConsentRecord, ConsentRecord.experience_id == ExperienceRecord.id)
        .where(
            ConsentRecord.status == "given",
            ConsentRecord.feedback.is_(True),
            _by_org(ExperienceRecord.organisation_id, org),
        )
        .distinct()
        .subquery()
    )
    month = _month(session, Outcome.created_at)
    # One outcome told to two partners counts once for each: each received it.
    return _grouped(
        session,
        sa.select(month, sa.func.count())
        .select_from(Outcome)
        .join(relayed, relayed.c.outcome_id == Outcome.id)
        .where(_window(Outcome.created_at, start, end))
        .group_by(month),
    )
