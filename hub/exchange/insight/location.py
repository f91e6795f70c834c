"""What people said about one care location, across partners, for regulator staff.

Regulator staff may read every record, so counts are exact. Monthly mean sentiment scores are
withheld (``None``) for months of 1-7 scored records: the mean of a handful of accounts swings on
a single voice and would read as a trend that is not there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.exchange.records.location_counts import (
    expired_sum,
    is_rolled,
    window_start,
)
from hub.exchange.records.models import ExperienceRecord, LocationRecentCount, not_withdrawn
from hub.identity.models import Organisation
from hub.privacy.disclosure import suppress_mean
from hub.registry.models import Location
from hub.registry.services import describe_location, get_location
from hub.safeguarding.models import SafeguardingAlert
from hub.safeguarding.rules import OPEN
from hub.safeguarding.services import describe as describe_alert

# CONTRACT §4: the partner's reading of an account's tone.
SENTIMENTS = ("positive", "mixed", "neutral", "negative")
QUOTE_LIMIT = 20
THEME_LIMIT = 10


def _month(rec: ExperienceRecord) -> str:
    return rec.experience_date.strftime("%Y-%m")


def _sentiment(rec: ExperienceRecord) -> str:
    return rec.sentiment if rec.sentiment in SENTIMENTS else "no_sentiment"


def _key_questions(records: list[ExperienceRecord]) -> list[dict[str, Any]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in records:
        for question in rec.key_questions or []:
            counts[question][_sentiment(rec)] += 1
    return [
        {
            "key_question": question,
            "count": sum(split.values()),
            **{s: split.get(s, 0) for s in (*SENTIMENTS, "no_sentiment")},
        }
        for question, split in sorted(counts.items())
    ]


def _over_time(records: list[ExperienceRecord]) -> list[dict[str, Any]]:
    by_month: dict[str, list[ExperienceRecord]] = defaultdict(list)
    for rec in records:
        by_month[_month(rec)].append(rec)
    months = []
    for month in sorted(by_month):
        group = by_month[month]
        scores = [r.sentiment_score for r in group if r.sentiment_score is not None]
        split = Counter(_sentiment(r) for r in group)
        mean = suppress_mean(scores) if scores else None
        months.append(
            {
                "month": month,
                "count": len(group),
                **{s: split.get(s, 0) for s in SENTIMENTS},
                "mean_sentiment_score": round(mean, 4) if mean is not None else None,
            }
        )
    return months


def _partners(session: Session, records: list[ExperienceRecord]) -> list[dict[str, Any]]:
    counts = Counter(rec.organisation_id for rec in records)
    if not counts:
        return []
    names = dict(
        session.execute(
            sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(counts))
        ).all()
    )
    return [
        {"organisation_id": org_id, "organisation_name": names.get(org_id), "count": n}
        for org_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], names.get(kv[0], "")))
    ]


def location_insight(session: Session, location_id: str, *, now: datetime) -> dict[str, Any]:
    """Counts, sentiment by month, themes, open alerts, quotes, partners and ratings."""
    loc = get_location(session, location_id)
    records = list(
        session.scalars(
            sa.select(ExperienceRecord)
            .where(ExperienceRecord.location_id == loc.id, not_withdrawn())
            .order_by(ExperienceRecord.experience_date.desc(), ExperienceRecord.received_at.desc())
        )
    )
    themes = Counter(theme for rec in records for theme in rec.themes or [])
    alerts = session.scalars(
        sa.select(SafeguardingAlert)
        .where(SafeguardingAlert.location_id == loc.id, SafeguardingAlert.status == OPEN)
        .order_by(SafeguardingAlert.due_at, SafeguardingAlert.id)
    )
    quotes = [
        {
            "experience_id": rec.id,
            "month": _month(rec),
            "sentiment": rec.sentiment,
            "key_questions": list(rec.key_questions or []),
            "text": rec.narrative_redacted,
        }
        for rec in records
        if rec.narrative_redacted
    ][:QUOTE_LIMIT]
    return {
        "location": describe_location(session, loc),
        "ratings": loc.ratings,
        "total": len(records),
        "sentiment": {s: sum(1 for r in records if _sentiment(r) == s) for s in SENTIMENTS},
        "key_questions": _key_questions(records),
        "sentiment_over_time": _over_time(records),
        "themes": [{"theme": t, "count": n} for t, n in themes.most_common(THEME_LIMIT)],
        "safeguarding_alerts": [describe_alert(a, now=now) for a in alerts],
        "quotes": quotes,
        "partners": _partners(session, records),
        "generated_at": now,
    }


def most_reported(session: Session, *, now: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """Locations ranked by negative records received in the last ``RECENT_DAYS`` days (risk, not
    quality). Read from the per-location counts (``hub.exchange.records.location_counts``),
    never from the records, so it costs the same however many records the hub holds."""
    sums = LocationRecentCount
    if is_rolled(session, now):
        negatives: sa.ColumnElement[int] = sums.negatives.expression
        # The limit-th highest count: only the locations reaching it are sorted by name.
        floor = session.scalar(
            sa.select(sums.negatives)
            .join(Location, Location.id == sums.location_id)
            .where(sums.negatives > 0)
            .order_by(sums.negatives.desc())
            .offset(limit - 1)
            .limit(1)
        )
        reaching = sums.negatives >= (floor or 1)
    else:  # the reconcile job has not yet moved every sum on to today's window
        negatives = sums.negatives - expired_sum(window_start(now))
        reaching = negatives > 0
    ranked = negatives.label("negatives")
    rows = session.execute(
        sa.select(Location.id, Location.name, Location.postcode, ranked)
        .join(sums, sums.location_id == Location.id)
        .where(reaching)
        .order_by(ranked.desc(), Location.name_search, Location.id)
        .limit(limit)
    ).all()
    return [
        {"location_id": loc_id, "name": name, "postcode": postcode, "negatives": int(n)}
        for loc_id, name, postcode, n in rows
    ]
