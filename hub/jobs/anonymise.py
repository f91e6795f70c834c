"""The ``anonymise`` job: retention, erasure of withdrawn records, the pooled datasets.

Steps, each safe to repeat and each committed on its own so a kill loses little:

1. Raw narratives received more than ``HUB_RAW_RETENTION_DAYS`` ago are replaced by their
   redacted copy, and their experience dates cut to the month
   (``hub.exchange.records.retention``).
2. Whatever is left of withdrawn records is erased, as withdrawal erases it
   (``hub.exchange.records.withdrawal``).
3. The pooled anonymised datasets are published area by area where they changed
   (``hub.exchange.datasets.pooled``).

Each unit of work is chosen by a condition on the stored state (a raw narrative still differs
from its redacted copy, a date is still exact, a digest differs), so nothing is done twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.actor import system
from hub.context import HubContext
from hub.db import transaction
from hub.exchange.datasets import pooled
from hub.exchange.records import retention, withdrawal

JOB_NAME = "anonymise"
BATCH = 500


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Apply retention and erasure, then publish the pooled datasets that changed."""
    cutoff = now - timedelta(days=ctx.settings.raw_retention_days)
    with transaction(session_factory) as session:
        redacted = retention.replace_raw_narratives(session, cutoff)
    generalised = 0
    while True:
        with transaction(session_factory) as session:
            done = retention.generalise_dates(session, cutoff, limit=BATCH)
        generalised += done
        if done < BATCH:
            break
    with transaction(session_factory) as session:
        erased = withdrawal.erase_withdrawn(session)
    stats: dict[str, Any] = {
        "narratives_redacted": redacted,
        "dates_generalised": generalised,
        "withdrawn_erased": erased,
    }
    stats.update(publish_pooled(ctx, session_factory, now=now))
    return stats


def publish_pooled(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, int]:
    """Publish, area by area (a transaction each), every pooled file whose content changed."""
    actor = system(f"job:{JOB_NAME}")
    with transaction(session_factory) as session:
        pool, areas = pooled.read_pool(session)
    stats = {"areas": len(areas), "releases_published": 0, "releases_unchanged": 0}
    for area in areas:
        with transaction(session_factory) as session:
            done = pooled.publish_area(
                session, ctx.storage, actor, pool, area, k=ctx.settings.k_anonymity, now=now
            )
        for key, count in done.items():
            stats[key] += count
    return stats
