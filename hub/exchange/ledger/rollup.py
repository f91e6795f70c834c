"""Closing the ledger's months: each organisation's figures for a month, frozen once it is over.

The rule (the reconcile job applies it on every run):

- A month closes once it is settled: it ended at least ``SETTLE`` ago (requests that began
  before midnight have committed) and no submission made in it is still ``processing`` (a CSV
  upload's counts are final only when it completes or fails). An unsettled month waits for a
  later run.
- Closing a month writes one ``ledger_months`` row for every organisation, zeros included, all
  in one transaction with one ``ledger.month_closed`` audit event. Every month from the hub's
  first activity up to the last settled one is closed, oldest first.
- A closed row is never recomputed: it is the ledger as the month closed. Only a missing row is
  written (an organisation added since, or a run killed before that month's transaction
  committed), so running again is always safe and changes nothing that is there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.exchange.datasets.models import Delivery
from hub.exchange.ledger.models import LedgerMonth
from hub.exchange.ledger.services import COUNTS, add_months, counts_by_organisation, month_start
from hub.exchange.outcomes.models import Outcome
from hub.exchange.records.models import Submission
from hub.identity.models import Organisation

SETTLE = timedelta(hours=1)


def last_settled_month(now: datetime) -> date:
    """The latest month that ended at least ``SETTLE`` before ``now``."""
    return add_months(month_start((now.astimezone(UTC) - SETTLE).date()), -1)


def _first_month(session: Session) -> date | None:
    """The month of the hub's earliest activity (an organisation or an exchange), if any."""
    starts = [
        session.scalar(sa.select(sa.func.min(column)))
        for column in (
            Organisation.created_at,
            Submission.created_at,
            Delivery.delivered_at,
            Outcome.created_at,
        )
    ]
    found = [s for s in starts if s is not None]
    return month_start(min(found).astimezone(UTC).date()) if found else None


def months_to_close(session: Session, *, now: datetime) -> list[date]:
    """Months over by ``now`` that still lack a row for some organisation, oldest first."""
    first = _first_month(session)
    last = last_settled_month(now)
    if first is None or last < first:
        return []
    organisations = session.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0
    rows = dict(
        session.execute(
            sa.select(LedgerMonth.month, sa.func.count())
            .where(LedgerMonth.month >= first, LedgerMonth.month <= last)
            .group_by(LedgerMonth.month)
        ).all()
    )
    months = []
    month = first
    while month <= last:
        if rows.get(month, 0) < organisations:
            months.append(month)
        month = add_months(month, 1)
    return months


def is_settled(session: Session, month: date) -> bool:
    """No submission made in ``month`` is still being processed."""
    start = datetime.combine(month, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(add_months(month, 1), datetime.min.time(), tzinfo=UTC)
    processing = session.scalar(
        sa.select(sa.func.count())
        .select_from(Submission)
        .where(
            Submission.status == "processing",
            Submission.created_at >= start,
            Submission.created_at < end,
        )
    )
    return not processing


def close_month(session: Session, actor: Actor, month: date) -> int:
    """Write the month's missing rows from the live figures and audit it; how many were written."""
    have = sa.select(LedgerMonth.organisation_id).where(LedgerMonth.month == month)
    missing = list(
        session.scalars(
            sa.select(Organisation.id).where(Organisation.id.not_in(have)).order_by(Organisation.id)
        )
    )
    if not missing:
        return 0
    figures = counts_by_organisation(session, month)
    zero = dict.fromkeys(COUNTS, 0)
    at = utcnow()
    for org_id in missing:
        session.add(
            LedgerMonth(
                organisation_id=org_id, month=month, computed_at=at, **figures.get(org_id, zero)
            )
        )
    record(
        session,
        actor,
        "ledger.month_closed",
        object_type="ledger_month",
        object_id=f"{month:%Y-%m}",
        organisation_id=None,
        details={"month": f"{month:%Y-%m}", "organisations": len(missing)},
    )
    session.flush()
    return len(missing)
