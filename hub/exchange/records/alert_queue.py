"""The regulator's safeguarding queue as a duty officer reads it: each alert with the location's
name, the partner that sent the record, the reasons and the redacted words of the account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.exchange.records.models import ExperienceRecord
from hub.identity.models import Organisation
from hub.registry.models import Location
from hub.safeguarding import services
from hub.safeguarding.services import QueueFilter

PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class QueueItem:
    alert: dict[str, Any]  # as services.describe gives it
    location_name: str | None  # None: no location, or one the registry no longer holds
    partner: str
    narrative: str | None  # the redacted account; None once the record is withdrawn


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[QueueItem]
    total: int  # alerts the filters match
    page: int  # 1-based, within 1..pages
    pages: int
    per_page: int

    @property
    def first(self) -> int:
        """The position of the page's first item among all matched (1-based; 0 when none)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def queue_page(
    session: Session,
    actor: Actor,
    filters: QueueFilter,
    *,
    page: int,
    now: datetime,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """One page of the queue (soonest due first); a page past the end gives the last one."""
    page = max(page, 1)
    alerts, total = services.queue_alerts(
        session, actor, filters, now=now, offset=(page - 1) * per_page, limit=per_page
    )
    pages = max(1, -(-total // per_page))
    if page > pages:
        page = pages
        alerts, total = services.queue_alerts(
            session, actor, filters, now=now, offset=(page - 1) * per_page, limit=per_page
        )
    places = _by_id(session, Location.id, Location.name, {a.location_id for a in alerts})
    partners = _by_id(
        session, Organisation.id, Organisation.name, {a.organisation_id for a in alerts}
    )
    words = _by_id(
        session,
        ExperienceRecord.id,
        ExperienceRecord.narrative_redacted,
        {a.experience_id for a in alerts},
    )
    items = [
        QueueItem(
            services.describe(a, now=now),
            places.get(a.location_id),
            partners.get(a.organisation_id, ""),
            words.get(a.experience_id),
        )
        for a in alerts
    ]
    return QueuePage(items, total, page, pages, per_page)


def _by_id(session: Session, key: Any, value: Any, ids: set[Any]) -> dict[Any, Any]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = session.execute(sa.select(key, value).where(key.in_(wanted)))
    return {k: v for k, v in rows}
