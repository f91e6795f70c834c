"""Matching submitted location ids to the registry, a whole batch at a time."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.registry.models import Location, LocationRelationship
from hub.registry.services import PREDECESSOR, resolve_current

ACCEPTED = "accepted"
NEEDS_RECONCILIATION = "needs_reconciliation"


def current_locations(session: Session, location_ids: Iterable[str]) -> dict[str, str | None]:
    """Each submitted id → the id the service is registered under today, or None if unknown.

    Two queries for the batch; only ids that were re-registered (rare) are followed one by one.
    """
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    known = set(session.scalars(sa.select(Location.id).where(Location.id.in_(ids))))
    moved = set(
        session.scalars(
            sa.select(LocationRelationship.related_location_id).where(
                LocationRelationship.related_location_id.in_(ids),
                LocationRelationship.type == PREDECESSOR,
            )
        )
    )
    found: dict[str, str | None] = {}
    for location_id in ids:
        if location_id in moved:
            current = resolve_current(session, location_id)
            found[location_id] = current.id if current else None
        else:
            found[location_id] = location_id if location_id in known else None
    return found


def record_status(current_location_id: str | None) -> str:
    """A record is matched when it names a known location; otherwise it waits for reconciling."""
    return ACCEPTED if current_location_id else NEEDS_RECONCILIATION
