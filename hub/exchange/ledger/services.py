"""The reciprocity ledger: what each partner gave the hub and got back, month by month.

A month is answered from its roll-up (``ledger_months``, written once by the reconcile job when
the month closes: ``hub.exchange.ledger.rollup``) when there is one, and computed live
otherwise: the current month always, and a past month the job has not closed yet. Each month
says which (``closed``). A closed month keeps the figures it closed with: a consent withdrawn
later counts as a withdrawal in the month it happens and no longer changes how many outcomes an
earlier month relayed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.consent.models import ConsentRecord
from hub.errors import NotFound, ValidationFailed
from hub.exchange.datasets.models import Delivery
from hub.exchange.ledger.models import LedgerMonth
from hub.exchange.outcomes.models import Outcome, OutcomeRecord
from hub.exchange.records.models import ExperienceRecord, Submission
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


def month_of(session: Session, column: Any) -> Any:
    """``YYYY-MM`` of a UTC timestamp column, as every figure of the ledger groups it."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    # SQLite keeps UTC timestamps as ISO text: the month is its first seven characters.
    return sa.func.substr(column, 1, 7)


def month_range(
    first: date | None, last: date | None, *, today: date
) -> tuple[date, date, list[str]]:
    """The months asked for (default: the twelve up to ``today``'s): first and last, and each."""
    last = month_start(last or today)
    first = month_start(first or add_months(last, 1 - DEFAULT_MONTHS))
    if first > last:
        raise ValidationFailed("The range ends before it starts.", errors={"to": ["Before from."]})
    months = months_between(first, last)
    if len(months) > MAX_MONTHS:
        raise ValidationFailed(
            "The range is too long.", errors={"from": [f"At most {MAX_MONTHS} months."]}
        )
    return first, last, months


# A cell of the table: (month as YYYY-MM, organisation id, or None when summed over them).
Key = tuple[str, uuid.UUID | None]


def _grouped(session: Session, stmt: sa.Select[Any], per_org: bool) -> dict[Key, tuple[int, ...]]:
    """Rows of (month, [organisation,] values...) keyed by (month, organisation or None)."""
    width = 2 if per_org else 1
    return {
        (row[0], row[1] if per_org else None): tuple(int(v or 0) for v in row[width:])
        for row in session.execute(stmt)
    }


def _keys(session: Session, column: Any, org_column: Any, per_org: bool) -> list[Any]:
    return [month_of(session, column), *([org_column] if per_org else [])]


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of ``first``'s month to the start of the month after ``last``'s (UTC)."""
    start = datetime.combine(month_start(first), datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(add_months(last, 1), datetime.min.time(), tzinfo=UTC)
    return start, end


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
    first, last, months = month_range(first, last, today=today)
    closed = _closed(session, org, first, min(last, add_months(month_start(today), -1)))
    live_months = [m for m in months if m not in closed]
    live: dict[Key, tuple[int, ...]] = {}
    if live_months:
        live_first = date.fromisoformat(f"{live_months[0]}-01")
        live = _counts(session, org, *_bounds(live_first, last), per_org=False)
    zero = (0,) * len(COUNTS)
    out = []
    for m in months:
        values = closed[m] if m in closed else live.get((m, None), zero)
        out.append({"month": m, **dict(zip(COUNTS, values, strict=True)), "closed": m in closed})
    return {"organisation_id": str(org) if org else None, "months": out}


def _closed(
    session: Session, org: uuid.UUID | None, first: date, last: date
) -> dict[str, tuple[int, ...]]:
    """The rolled-up months from ``first`` to ``last``: one organisation's, or all summed."""
    if last < first:
        return {}
    stmt = (
        sa.select(LedgerMonth.month, *(sa.func.sum(getattr(LedgerMonth, c)) for c in COUNTS))
        .where(
            _by_org(LedgerMonth.organisation_id, org),
            LedgerMonth.month >= first,
            LedgerMonth.month <= last,
        )
        .group_by(LedgerMonth.month)
    )
    return {f"{row[0]:%Y-%m}": tuple(int(v or 0) for v in row[1:]) for row in session.execute(stmt)}


def counts_by_organisation(session: Session, month: date) -> dict[uuid.UUID, dict[str, int]]:
    """Every organisation's live figures for ``month`` (only those with any)."""
    table = _counts(session, None, *_bounds(month, month), per_org=True)
    return {
        org: dict(zip(COUNTS, values, strict=True))
        for (_, org), values in table.items()
        if org is not None
    }


def _counts(
    session: Session, org: uuid.UUID | None, start: datetime, end: datetime, *, per_org: bool
) -> dict[Key, tuple[int, ...]]:
    sub_keys = _keys(session, Submission.created_at, Submission.organisation_id, per_org)
    submissions = _grouped(
        session,
        sa.select(
            *sub_keys,
            sa.func.sum(Submission.declared_count),
            sa.func.sum(Submission.accepted_count),
            sa.func.sum(Submission.rejected_count),
        )
        .where(
            _by_org(Submission.organisation_id, org),
            _window(Submission.created_at, start, end),
        )
        .group_by(*sub_keys),
        per_org,
    )
    wd_keys = _keys(
        session, ExperienceRecord.withdrawn_at, ExperienceRecord.organisation_id, per_org
    )
    withdrawn = _grouped(
        session,
        sa.select(*wd_keys, sa.func.count())
        .where(
            _by_org(ExperienceRecord.organisation_id, org),
            ExperienceRecord.withdrawn_at.is_not(None),
            _window(ExperienceRecord.withdrawn_at, start, end),
        )
        .group_by(*wd_keys),
        per_org,
    )
    dl_keys = _keys(session, Delivery.delivered_at, Delivery.organisation_id, per_org)
    deliveries = _grouped(
        session,
        sa.select(*dl_keys, sa.func.count())
        .where(_by_org(Delivery.organisation_id, org), _window(Delivery.delivered_at, start, end))
        .group_by(*dl_keys),
        per_org,
    )
    outcomes = _outcomes(session, org, start, end, per_org=per_org)
    table: dict[Key, tuple[int, ...]] = {}
    for key in set(submissions) | set(withdrawn) | set(deliveries) | set(outcomes):
        table[key] = (
            *submissions.get(key, (0, 0, 0)),
            *withdrawn.get(key, (0,)),
            *deliveries.get(key, (0,)),
            *outcomes.get(key, (0,)),
        )
    return table


def _outcomes(
    session: Session, org: uuid.UUID | None, start: datetime, end: datetime, *, per_org: bool
) -> dict[Key, tuple[int, ...]]:
    """Outcomes relayed to partners: on their records whose consent allows feedback (today)."""
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
    keys = _keys(session, Outcome.created_at, relayed.c.organisation_id, per_org)
    # One outcome told to two partners counts once for each: each received it.
    return _grouped(
        session,
        sa.select(*keys, sa.func.count())
        .select_from(Outcome)
        .join(relayed, relayed.c.outcome_id == Outcome.id)
        .where(_window(Outcome.created_at, start, end))
        .group_by(*keys),
        per_org,
    )
