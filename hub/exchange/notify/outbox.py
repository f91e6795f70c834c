"""Notices owed to other organisations, written in the transaction of the change they report."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.exchange.notify import webhooks
from hub.exchange.notify.models import OutboxNotice
from hub.identity.models import Organisation

SAFEGUARDING_ALERT = "safeguarding.alert"
CONSENT_WITHDRAWN = "consent.withdrawn"


def regulator_ids(session: Session) -> list[uuid.UUID]:
    """The regulator's organisations: they hold every record, so they hear of every change."""
    return list(
        session.scalars(
            sa.select(Organisation.id)
            .where(Organisation.kind == "regulator")
            .order_by(Organisation.id)
        )
    )


def notice(
    event: str,
    recipient: uuid.UUID,
    *,
    object_type: str,
    object_id: str | uuid.UUID,
    payload: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """One outbox row (for ``queue``); the payload holds ids and codes, never narratives."""
    return {
        "id": uuid.uuid4(),
        "event": event,
        "recipient_organisation_id": recipient,
        "object_type": object_type,
        "object_id": str(object_id),
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "delivered_at": None,
    }


def queue(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write outbox rows in one statement, and a signed webhook for each subscribed endpoint."""
    if not rows:
        return
    session.execute(sa.insert(OutboxNotice), list(rows))
    for row in rows:
        data = {"object_type": row["object_type"], "object_id": row["object_id"], **row["payload"]}
        webhooks.enqueue(
            session,
            row["event"],
            data,
            [row["recipient_organisation_id"]],
            now=row["created_at"],
            event_id=row["id"],
        )


def pending_for(session: Session, object_ids: Iterable[str]) -> list[OutboxNotice]:
    """Notices about these objects (used by tests and the delivery job)."""
    return list(
        session.scalars(
            sa.select(OutboxNotice)
            .where(OutboxNotice.object_id.in_(list(object_ids)))
            .order_by(OutboxNotice.created_at, OutboxNotice.id)
        )
    )
