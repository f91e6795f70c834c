"""Notices owed to other organisations about a change (a safeguarding alert, a withdrawal),
written in the transaction of the change they report.

A notice is owed to each of the recipient's endpoints that subscribes to its event, and that
owing is the delivery row itself (``webhook_deliveries``: status, attempts, next attempt): one
record of the fact, not a notice and a delivery beside it. An organisation with no such endpoint
learns of the change where it reads it (the alert queue, the record's status), and the audit log
holds the change either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.cache import TTL_SECONDS, ProcessCache
from hub.cache_sessions import cached
from hub.exchange.notify import webhooks
from hub.exchange.notify.models import WebhookDelivery
from hub.identity.models import Organisation

SAFEGUARDING_ALERT = "safeguarding.alert"
CONSENT_WITHDRAWN = "consent.withdrawn"


# Read by every alert and withdrawal: kept TTL_SECONDS at most per process and dropped when this
# process changes an organisation (another process's change is seen within TTL_SECONDS).
_REGULATORS: ProcessCache[object, tuple[uuid.UUID, ...]] = ProcessCache(
    "regulator organisations", tables={Organisation.__tablename__}, ttl=TTL_SECONDS, maxsize=8
)


def regulator_ids(session: Session) -> list[uuid.UUID]:
    """The regulator's organisations: they hold every record, so they hear of every change."""

    def load() -> tuple[uuid.UUID, ...]:
        return tuple(
            session.scalars(
                sa.select(Organisation.id)
                .where(Organisation.kind == "regulator")
                .order_by(Organisation.id)
            )
        )

    # Keyed by the database: a process may serve more than one (the tests do).
    found: tuple[uuid.UUID, ...] = cached(session, _REGULATORS, session.get_bind().engine, load)
    return list(found)


def notice(
    event: str,
    recipient: uuid.UUID,
    *,
    object_type: str,
    object_id: str | uuid.UUID,
    payload: dict[str, Any],
    now: datetime,
) -> webhooks.Event:
    """The notice to one recipient about one object (for ``queue``): its own event id, and data
    that names the object and holds ids and codes, never narratives (a safeguarding alert's
    reasons, owed to the regulator alone, quote only redacted words)."""
    return webhooks.Event(
        event=event,
        data={"object_type": object_type, "object_id": str(object_id), **payload},
        organisation_ids=frozenset({recipient}),
        occurred_at=now,
    )


def queue(session: Session, notices: Sequence[webhooks.Event]) -> list[WebhookDelivery]:
    """Owe each notice to its recipient's subscribed endpoints: the deliveries, in one query."""
    return webhooks.enqueue_many(session, notices)
