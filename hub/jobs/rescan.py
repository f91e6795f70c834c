"""The ``rescan`` job: stored records read again when the engines change.

Records whose raw words are still kept and that the current de-identification and safeguarding
engines have not read are re-redacted and screened, in batches, each batch committed with its
audit events (``hub.exchange.records.rescan``): concerns newly found raise alerts marked found
late. Then the pooled datasets whose content changed are published again, as the ``anonymise``
job publishes them.

Idempotent and resumable: a record is marked with the engines that read it in the batch that
reads it, so a second run reads nothing, and a run killed midway is finished by the next. The
pooled datasets are compared with their latest release every time, so a kill between the
batches and publishing loses nothing either.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.actor import system
from hub.context import HubContext
from hub.db import transaction
from hub.exchange.records import rescan
from hub.jobs.anonymise import publish_pooled
from hub.safeguarding.rules import Deadlines

JOB_NAME = "rescan"
BATCH = 200


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Read again every due record, batch by batch, then publish the pooled files that changed."""
    settings = ctx.settings
    cutoff = now - timedelta(days=settings.raw_retention_days)
    deadlines = Deadlines.from_minutes(
        settings.safeguarding_due_immediate_minutes, settings.safeguarding_due_minutes
    )
    actor = system(f"job:{JOB_NAME}")
    stats: dict[str, Any] = {
        "records_read": 0,
        "re_redacted": 0,
        "alerts_raised": 0,
        "alert_reasons_remasked": 0,
    }
    after: uuid.UUID | None = None
    while True:
        with transaction(session_factory) as session:
            done = rescan.rescan_batch(
                session,
                actor,
                cutoff=cutoff,
                after=after,
                limit=BATCH,
                deadlines=deadlines,
                now=now,
            )
        stats["records_read"] += done.read
        stats["re_redacted"] += done.re_redacted
        stats["alerts_raised"] += done.alerts_raised
        stats["alert_reasons_remasked"] += done.reasons_remasked
        if done.last is None or done.read < BATCH:
            break
        after = done.last
    stats.update(publish_pooled(ctx, session_factory, now=now))
    return stats
