"""Retention: raw narratives are kept for the regulator ``HUB_RAW_RETENTION_DAYS``, then only
their redacted copy stays, and the experience date is cut to its month."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.exchange.records.models import ExperienceRecord


def replace_raw_narratives(session: Session, cutoff: datetime) -> int:
    """Replace raw narratives received before ``cutoff`` by their redacted copy; how many."""
    r = ExperienceRecord
    result = session.execute(
        sa.update(r)
        .where(
            r.received_at < cutoff,
            r.narrative.is_not(None),
            sa.or_(r.narrative_redacted.is_(None), r.narrative != r.narrative_redacted),
        )
        .values(narrative=r.narrative_redacted)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def generalise_dates(session: Session, cutoff: datetime, *, limit: int) -> int:
    """Cut the exact experience dates of up to ``limit`` records received before ``cutoff`` to
    their month; how many (fewer than ``limit``: none is left)."""
    r = ExperienceRecord
    rows = session.execute(
        sa.select(r.id, r.experience_date)
        .where(r.received_at < cutoff, r.date_precision == "day")
        .limit(limit)
    ).all()
    for record_id, day in rows:
        session.execute(
            sa.update(r)
            .where(r.id == record_id)
            .values(experience_date=date(day.year, day.month, 1), date_precision="month")
            .execution_options(synchronize_session=False)
        )
    return len(rows)
