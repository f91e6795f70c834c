"""The ``reconcile`` job: link records that wait for a location, rebuild every partner's report
for the day, close the ledger's months that are over, and move the inspector's ranking of
locations on to today's window.

Linking is ``hub.exchange.records.reconciliation``; the reports are
``hub.exchange.insight.reconciliation``; closing a month is ``hub.exchange.ledger.rollup``, which
states the rule; the ranking's counts are ``hub.exchange.records.location_counts``.

Resumable: records are taken in batches by id, each batch in its own transaction, and only
records still waiting are read, so a killed run's linked records are never linked again; each
report and each ledger month is written in its own transaction, and only months still missing
rows are read; the ranking's sums are moved in batches, and only sums not yet moved are read.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.context import HubContext
from hub.db import transaction
from hub.exchange.insight import reconciliation as reports
from hub.exchange.ledger import rollup as ledger_rollup
from hub.exchange.records import location_counts, reconciliation

JOB_NAME = "reconcile"
BATCH = 200


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Link what can be linked, list candidates for the rest, and rebuild today's reports."""
    actor = system(f"job:{JOB_NAME}")
    stats: dict[str, Any] = resolve_waiting(session_factory, now=now, actor=actor)
    stats["reports"] = write_reports(session_factory, now=now)
    stats.update(close_ledger_months(session_factory, now=now, actor=actor))
    stats["ranking_sums_rolled"] = roll_ranking_window(session_factory, now=now)
    return stats


def resolve_waiting(
    session_factory: sessionmaker[Session], *, now: datetime, actor: Actor
) -> dict[str, int]:
    """Go through every waiting record once, a batch per transaction; how each was resolved."""
    stats = dict.fromkeys(reconciliation.OUTCOMES, 0)
    after: uuid.UUID | None = None
    while True:
        with transaction(session_factory) as session:
            done, after = reconciliation.resolve_batch(
                session, after=after, limit=BATCH, now=now, actor=actor
            )
        for key, count in done.items():
            stats[key] += count
        if after is None or sum(done.values()) < BATCH:
            return stats


def write_reports(session_factory: sessionmaker[Session], *, now: datetime) -> int:
    """Rebuild today's report of every partner that has sent anything, one per transaction."""
    with transaction(session_factory) as session:
        partners = reports.partners_reporting(session)
        duplicates = reports.duplicate_groups(session)
    for org_id in partners:
        with transaction(session_factory) as session:
            reports.write_report(session, org_id, duplicates, now=now)
    return len(partners)


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


def roll_ranking_window(session_factory: sessionmaker[Session], *, now: datetime) -> int:
    """Move every location's recent sum on to today's window, a batch per transaction."""
    rolled = 0
    while True:
        with transaction(session_factory) as session:
            done = location_counts.roll_window(session, now=now)
        rolled += done
        if done < location_counts.ROLL_BATCH:
            return rolled
