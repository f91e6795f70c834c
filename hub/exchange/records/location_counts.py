"""Per-location counts of negative accounts, kept as records change, for the inspector's ranking.

What is counted: a record that is negative (its partner's ``sentiment``), linked to a registry
location and not withdrawn, under the day (UTC) it was received. Two tables hold it
(``hub.exchange.records.models``):

- ``location_daily_counts``: one row per location and day;
- ``location_recent_counts``: per location, the sum of its daily counts from ``from_day`` on.

The ranking (``hub.exchange.insight.location.most_reported``) reads the second: its window is the
last ``RECENT_DAYS`` days, so every day a day leaves it. :func:`roll_window` (the ``reconcile``
job, every run) subtracts the days that left and moves ``from_day`` on; until it has, the
ranking subtracts them itself (:func:`expired_sum`), so the ranking is exact at any time.

Every change to what is counted updates both tables in the transaction that makes it: intake
(:func:`add_records`), withdrawal and reconciliation (:class:`Changes`). Nothing else changes a
counted field: a rescan changes redactions and alerts, retention narratives and experience dates,
the erasure of withdrawn records only what withdrawal erased; no record is ever deleted.

Concurrent writers (PostgreSQL): every write is an upsert adding to the stored value, in
location order; a writer adds to a location's sum only days on or after the ``from_day`` it finds
once it holds the sum's row, and :func:`roll_window` reads the daily counts only after locking
the rows it moves, so a day is subtracted exactly once whichever commits first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.exchange.records.models import (
    WITHDRAWN,
    ExperienceRecord,
    LocationDailyCount,
    LocationRecentCount,
)

RECENT_DAYS = 90
NEGATIVE = "negative"
ROLL_BATCH = 1000

Key = tuple[str, date]  # (location_id, day received)


def window_start(now: datetime) -> date:
    """The first day of the ranking's window: the last ``RECENT_DAYS`` days, today included."""
    return now.astimezone(UTC).date() - timedelta(days=RECENT_DAYS - 1)


def day_of(received_at: datetime) -> date:
    return received_at.astimezone(UTC).date()


def counted_key(
    *,
    location_id: str | None,
    sentiment: str | None,
    status: str,
    withdrawn_at: datetime | None,
    received_at: datetime,
) -> Key | None:
    """Where a record with these fields is counted, or None when it is not."""
    if location_id is None or sentiment != NEGATIVE or status == WITHDRAWN or withdrawn_at:
        return None
    return (location_id, day_of(received_at))


def key_of(rec: ExperienceRecord) -> Key | None:
    return counted_key(
        location_id=rec.location_id,
        sentiment=rec.sentiment,
        status=rec.status,
        withdrawn_at=rec.withdrawn_at,
        received_at=rec.received_at,
    )


def _insert(session: Session, model: type[Any]) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def apply(session: Session, deltas: Mapping[Key, int], *, now: datetime) -> None:
    """Add ``deltas`` to the daily counts and to the sums whose window holds their day."""
    changes = sorted((key, n) for key, n in deltas.items() if n)
    if not changes:
        return
    daily = _insert(session, LocationDailyCount)
    session.execute(
        daily.on_conflict_do_update(
            index_elements=[LocationDailyCount.location_id, LocationDailyCount.day],
            set_={"negatives": LocationDailyCount.negatives + daily.excluded.negatives},
        ),
        [{"location_id": loc, "day": day, "negatives": n} for (loc, day), n in changes],
    )
    start = window_start(now)
    # One statement per day, so that no statement meets a location's row twice.
    for day in sorted({day for (_loc, day), _n in changes}):
        recent = _insert(session, LocationRecentCount)
        held = sa.case((LocationRecentCount.from_day <= day, recent.excluded.negatives), else_=0)
        session.execute(
            recent.on_conflict_do_update(
                index_elements=[LocationRecentCount.location_id],
                set_={"negatives": LocationRecentCount.negatives + held},
            ),
            [
                # A location without a sum has no other daily count: its sum is this one's.
                {"location_id": loc, "from_day": min(day, start), "negatives": n}
                for (loc, d), n in changes
                if d == day
            ],
        )


def add_records(session: Session, records: Iterable[Mapping[str, Any]], *, now: datetime) -> None:
    """Count newly inserted records (the row dicts intake inserted)."""
    deltas: Counter[Key] = Counter()
    for rec in records:
        key = counted_key(
            location_id=rec["location_id"],
            sentiment=rec["sentiment"],
            status=rec["status"],
            withdrawn_at=rec.get("withdrawn_at"),
            received_at=rec["received_at"],
        )
        if key is not None:
            deltas[key] += 1
    apply(session, deltas, now=now)


class Changes:
    """Changes to stored records, counted as each record is before and after:
    ``before(rec)``, change it, ``after(rec)``, then ``apply``."""

    def __init__(self) -> None:
        self.deltas: Counter[Key] = Counter()

    def before(self, rec: ExperienceRecord) -> None:
        key = key_of(rec)
        if key is not None:
            self.deltas[key] -= 1

    def after(self, rec: ExperienceRecord) -> None:
        key = key_of(rec)
        if key is not None:
            self.deltas[key] += 1

    def apply(self, session: Session, *, now: datetime) -> None:
        apply(session, self.deltas, now=now)
        self.deltas.clear()


def expired_sum(start: date) -> sa.ScalarSelect[Any]:
    """Per sum row (correlated): its daily counts before ``start`` that it still holds."""
    d, r = LocationDailyCount, LocationRecentCount
    return (
        sa.select(sa.func.coalesce(sa.func.sum(d.negatives), 0))
        .where(d.location_id == r.location_id, d.day >= r.from_day, d.day < start)
        .correlate(r)
        .scalar_subquery()
    )


def is_rolled(session: Session, now: datetime) -> bool:
    """Whether every sum starts at today's window (nothing to subtract when reading)."""
    start = window_start(now)
    return not session.scalar(sa.select(sa.exists().where(LocationRecentCount.from_day < start)))


def roll_window(session: Session, *, now: datetime, limit: int = ROLL_BATCH) -> int:
    """Move up to ``limit`` sums to today's window, subtracting the days that left it; how many
    (fewer than ``limit``: none is left)."""
    start = window_start(now)
    r, d = LocationRecentCount, LocationDailyCount
    locked = session.execute(
        sa.select(r.location_id, r.negatives)
        .where(r.from_day < start)
        .order_by(r.location_id)
        .limit(limit)
        .with_for_update()
    ).all()
    if not locked:
        return 0
    # Read only now, with the rows held: a writer that counted into them has committed.
    expired = dict(
        session.execute(
            sa.select(r.location_id, sa.func.sum(d.negatives))
            .join(d, d.location_id == r.location_id)
            .where(
                r.location_id.in_([loc for loc, _n in locked]),
                d.day >= r.from_day,
                d.day < start,
            )
            .group_by(r.location_id)
        ).all()
    )
    session.execute(
        sa.update(r),
        [
            {"location_id": loc, "from_day": start, "negatives": n - int(expired.get(loc) or 0)}
            for loc, n in locked
        ],
    )
    return len(locked)
