"""What auditors read beside the log: each partner's exchanges month by month, and the seals.

A partner's timeline repeats the reciprocity ledger (records sent, releases and outcomes
received) and adds what an auditor needs to trust it: the submissions by channel, the records of
the month withdrawn later, and the month's audit events with the seal that covers them. An event
covered by a seal that still verifies cannot have been changed since it was sealed.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.context import HubContext
from hub.errors import NotFound, ValidationFailed
from hub.exchange import ledger
from hub.exchange.dataset_models import Delivery
from hub.exchange.models import CHANNELS, ExperienceRecord, Submission
from hub.identity.models import PARTNER_KINDS, Organisation
from hub.jobs.models import AuditSeal, JobRun
from hub.jobs.seal import verify_all

LATEST_SEALS = 5
DELIVERY_KINDS = ("download", "presigned")
# The ledger answers a partner for itself or the regulator for anyone; the auditor's page (behind
# its role) reads any partner's through this reader, which can do nothing else.
_LEDGER_READER = Actor(
    kind="system", id="audit-timeline", scopes=frozenset({ledger.REGULATOR_READ})
)


def _month(session: Session, column: Any) -> Any:
    """``YYYY-MM`` of a UTC timestamp column (as the ledger groups it)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    # SQLite keeps UTC timestamps as ISO text: the month is its first seven characters.
    return sa.func.substr(column, 1, 7)


def sealed_upto_seqs(session: Session) -> list[int]:
    """Every seal's ``upto_seq``, ascending."""
    return list(session.scalars(sa.select(AuditSeal.upto_seq).order_by(AuditSeal.upto_seq)))


def covering_seal(upto_seqs: Sequence[int], seq: int) -> int | None:
    """The first seal (by its ``upto_seq``) whose checkpoint includes event ``seq``, if any."""
    index = bisect.bisect_left(upto_seqs, seq)
    return upto_seqs[index] if index < len(upto_seqs) else None


@dataclass(frozen=True)
class ChainStatus:
    """The chain's verification, the latest seals and how much of the chain they cover."""

    ok: bool
    chain_ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    reason: str | None
    seals_checked: int
    seal_problems: list[dict[str, Any]]
    latest_seals: list[dict[str, Any]]
    latest_upto_seq: int

    @property
    def unsealed(self) -> int:
        """Events after the latest seal: nothing yet vouches that they stay as they are."""
        return max(self.head_seq - self.latest_upto_seq, 0)


def last_check(session: Session) -> JobRun | None:
    """The audit-seal job's latest finished run: when the whole chain and its seals were last
    checked, and what was found (a failed run names the first problem in ``error``)."""
    return session.scalars(
        sa.select(JobRun)
        .where(JobRun.job == "audit-seal", JobRun.status.in_(("succeeded", "failed")))
        .order_by(JobRun.started_at.desc())
        .limit(1)
    ).first()


def checked_upto(run: JobRun | None) -> int:
    """The highest seq a successful check of ``run`` covered (its seal, else the events it saw)."""
    if run is None or run.status != "succeeded":
        return 0
    stats = run.stats or {}
    return int(stats.get("sealed_upto_seq") or stats.get("events") or 0)


def chain_status(ctx: HubContext, *, latest: int = LATEST_SEALS) -> ChainStatus:
    """Verify the whole chain and every seal (as ``GET /audit/verify``), with the latest seals."""
    chain, seals = verify_all(ctx)
    problems: dict[int, str] = {}
    for problem in seals.problems:
        problems.setdefault(problem.upto_seq, problem.reason)
    with ctx.session_factory() as session:
        rows = session.scalars(
            sa.select(AuditSeal).order_by(AuditSeal.upto_seq.desc()).limit(latest)
        ).all()
        described = [
            {
                "upto_seq": row.upto_seq,
                "count": row.count,
                "sealed_at": row.sealed_at,
                "key_id": row.key_id,
                "hash": row.hash,
                "verified": row.upto_seq not in problems,
                "problem": problems.get(row.upto_seq),
            }
            for row in rows
        ]
    return ChainStatus(
        ok=chain.ok and seals.ok,
        chain_ok=chain.ok,
        events=chain.events,
        head_seq=chain.head_seq,
        head_hash=chain.head_hash,
        first_bad_seq=chain.first_bad_seq,
        reason=chain.reason,
        seals_checked=seals.checked,
        seal_problems=[p.to_dict() for p in seals.problems],
        latest_seals=described,
        latest_upto_seq=seals.latest_upto_seq,
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


def month_range(
    first: date | None, last: date | None, *, today: date
) -> tuple[date, date, list[str]]:
    """The months asked for (default: the last twelve), checked like the ledger's."""
    last = ledger.month_start(last or today)
    first = ledger.month_start(first or ledger.add_months(last, 1 - ledger.DEFAULT_MONTHS))
    if first > last:
        raise ValidationFailed("The range ends before it starts.", errors={"to": ["Before from."]})
    months = ledger.months_between(first, last)
    if len(months) > ledger.MAX_MONTHS:
        raise ValidationFailed(
            "The range is too long.", errors={"from": [f"At most {ledger.MAX_MONTHS} months."]}
        )
    return first, last, months


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
    month = _month(session, Submission.created_at)
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
    month = _month(session, Delivery.delivered_at)
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
    received = _month(session, ExperienceRecord.received_at)
    withdrawn = _month(session, ExperienceRecord.withdrawn_at)
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
    month = _month(session, AuditEvent.occurred_at)
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


def list_organisations(session: Session) -> list[Organisation]:
    """Every organisation, by name (for choosing one in the log's filters)."""
    return list(session.scalars(sa.select(Organisation).order_by(Organisation.name)))


def job_names(session: Session) -> list[str]:
    """The jobs that have run, by name."""
    return list(session.scalars(sa.select(JobRun.job).distinct().order_by(JobRun.job)))
