"""What auditors read beside the log: each partner's exchanges month by month.

A partner's timeline repeats the reciprocity ledger (records sent, releases and outcomes
received) and adds what an auditor needs to trust it: the submissions by channel, the records of
the month withdrawn later, and the month's audit events with the seal that covers them. An event
covered by a seal that still verifies cannot have been changed since it was sealed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.audit.queries import covering_seal, sealed_upto_seqs
from hub.errors import NotFound
from hub.exchange.datasets.models import Delivery
from hub.exchange.ledger import services as ledger
from hub.exchange.ledger.services import month_of, month_range
from hub.exchange.records.models import CHANNELS, ExperienceRecord, Submission
from hub.identity.models import PARTNER_KINDS, Organisation

DELIVERY_KINDS = ("download", "presigned")
# The ledger answers a partner for itself or the regulator for anyone; the auditor's page (behind
# its role) reads any partner's through this reader, which can do nothing else.
_LEDGER_READER = Actor(
    kind="system", id="audit-timeline", scopes=frozenset({ledger.REGULATOR_READ})
)


def list_partners(session: Session) -> list[Organisation]:
    """Every partner organisation, by name."""
    stmt = (
        sa.select(Organisation)
        .where(Organisation.kind.in_(PARTNER_KINDS))
        .order_by(Organisation.name, Organisation.id)
    )
    return list(session.scalars(stmt))


def get_partner(session: Session, organisation_id: uuid.UUID) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None or not org.is_partner:
        raise NotFound("No such partner organisation.")
    return org


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def partner_timeline(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    first: date | None = None,
    last: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """One partner's exchanges per month, oldest first, with the audit events behind them."""
    org = get_partner(session, organisation_id)
    today = today or datetime.now(UTC).date()
    first, last, months = month_range(first, last, today=today)
    start, end = _at(first), _at(ledger.add_months(last, 1))
    given_got = {
        m["month"]: m
        for m in ledger.ledger(
            session, _LEDGER_READER, first=first, last=last, organisation_id=org.id, today=today
        )["months"]
    }
    submissions = _submissions(session, org.id, start, end)
    deliveries = _deliveries(session, org.id, start, end)
    withdrawn_later = _withdrawn_later(session, org.id, start, end)
    events = _events(session, org.id, start, end)
    seals = sealed_upto_seqs(session)
    out = []
    for month in months:
        values = {name: given_got.get(month, {}).get(name, 0) for name in ledger.COUNTS}
        month_first = date.fromisoformat(month + "-01")
        month_last = ledger.add_months(month_first, 1) - timedelta(days=1)
        count, first_seq, last_seq = events.get(month, (0, None, None))
        out.append(
            {
                "month": month,
                "first_day": month_first,
                "last_day": month_last,
                **values,
                "submissions": submissions.get(month, []),
                "deliveries": deliveries.get(month, dict.fromkeys(DELIVERY_KINDS, 0)),
                "withdrawn_later": withdrawn_later.get(month, 0),
                "events": count,
                "first_seq": first_seq,
                "last_seq": last_seq,
                "sealed_by": covering_seal(seals, last_seq) if last_seq is not None else None,
            }
        )
    return {"organisation": org, "months": out, "first": first, "last": last}


def _submissions(
    session: Session, org: uuid.UUID, start: datetime, end: datetime
) -> dict[str, list[dict[str, Any]]]:
    month = month_of(session, Submission.created_at)
    stmt = (
        sa.select(
            month,
            Submission.channel,
            sa.func.count(),
            sa.func.sum(Submission.declared_count),
            sa.func.sum(Submission.accepted_count),
            sa.func.sum(Submission.rejected_count),
        )
        .where(
            Submission.organisation_id == org,
            Submission.created_at >= start,
            Submission.created_at < end,
        )
        .group_by(month, Submission.channel)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for m, channel, n, declared, accepted, rejected in session.execute(stmt):
        out.setdefault(m, []).append(
            {
                "channel": channel,
                "submissions": int(n),
                "declared": int(declared or 0),
                "accepted": int(accepted or 0),
                "rejected": int(rejected or 0),
            }
        )
    for rows in out.values():
        rows.sort(key=lambda r: CHANNELS.index(r["channel"]) if r["channel"] in CHANNELS else 99)
    return out


def _deliveries(
    session: Session, org: uuid.UUID, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    month = month_of(session, Delivery.delivered_at)
    stmt = (
        sa.select(month, Delivery.via, sa.func.count())
        .where(
            Delivery.organisation_id == org,
            Delivery.delivered_at >= start,
            Delivery.delivered_at < end,
        )
        .group_by(month, Delivery.via)
    )
    out: dict[str, dict[str, int]] = {}
    for m, via, n in session.execute(stmt):
        out.setdefault(m, dict.fromkeys(DELIVERY_KINDS, 0))[via] = int(n)
    return out


def _withdrawn_later(
    session: Session, org: uuid.UUID, start: datetime, end: datetime
) -> dict[str, int]:
    """Per month of receipt: the records withdrawn in a later month (changed after the fact)."""
    received = month_of(session, ExperienceRecord.received_at)
    withdrawn = month_of(session, ExperienceRecord.withdrawn_at)
    stmt = (
        sa.select(received, sa.func.count())
        .where(
            ExperienceRecord.organisation_id == org,
            ExperienceRecord.received_at >= start,
            ExperienceRecord.received_at < end,
            ExperienceRecord.withdrawn_at.is_not(None),
            withdrawn > received,
        )
        .group_by(received)
    )
    return {m: int(n) for m, n in session.execute(stmt)}


def _events(
    session: Session, org: uuid.UUID, start: datetime, end: datetime
) -> dict[str, tuple[int, int | None, int | None]]:
    month = month_of(session, AuditEvent.occurred_at)
    stmt = (
        sa.select(month, sa.func.count(), sa.func.min(AuditEvent.seq), sa.func.max(AuditEvent.seq))
        .where(
            AuditEvent.organisation_id == org,
            AuditEvent.occurred_at >= start,
            AuditEvent.occurred_at < end,
        )
        .group_by(month)
    )
    return {m: (int(n), lo, hi) for m, n, lo, hi in session.execute(stmt)}
