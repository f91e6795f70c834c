"""Looking locations up for records: ids as registered today (a whole batch at a time), and
the locations worth scoring for a service's name and postcode."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.cache import TTL_SECONDS, ProcessCache
from hub.cache_sessions import cached_many
from hub.privacy.generalise import postcode_district
from hub.registry.matching_rules import Candidate, decide, normalise_name
from hub.registry.models import Location, LocationRelationship
from hub.registry.services import PREDECESSOR, resolve_current

_MAX_REGISTRY_ROWS = 200
_NAME_WORDS_SEARCHED = 2


# Read by every submission: each id's current registration, kept TTL_SECONDS at most per
# process and dropped when this process changes a location or a re-registration (another
# process's change is seen within TTL_SECONDS). Unknown ids are not kept: a location registered
# since is found at once.
_CURRENT: ProcessCache[tuple[object, str], str] = ProcessCache(
    "current locations",
    tables={Location.__tablename__, LocationRelationship.__tablename__},
    ttl=TTL_SECONDS,
)


def current_locations(session: Session, location_ids: Iterable[str]) -> dict[str, str | None]:
    """Each submitted id → the id the service is registered under today, or None if unknown.

    Ids not cached cost two queries for the batch; only ids that were re-registered (rare) are
    followed one by one.
    """
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    # Keyed by the database as well: a process may serve more than one (the tests do).
    database = session.get_bind().engine

    def load(missing: list[tuple[object, str]]) -> dict[tuple[object, str], str | None]:
        read = _read_current(session, [location_id for _, location_id in missing])
        return {(database, location_id): current for location_id, current in read.items()}

    found = cached_many(session, _CURRENT, [(database, i) for i in ids], load)
    return {location_id: found[(database, location_id)] for location_id in ids}


def _read_current(session: Session, ids: list[str]) -> dict[str, str | None]:
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


def registry_candidates(
    session: Session, name: str | None, postcode: str | None
) -> list[Candidate]:
    """Locations worth scoring: those in the postcode's district and those sharing a long word."""
    conditions: list[sa.ColumnElement[bool]] = []
    district = postcode_district(postcode) if postcode else None
    if district:
        conditions.append(Location.postcode.like(f"{district} %"))
    words = sorted(normalise_name(name or "").split(), key=len, reverse=True)
    for word in words[:_NAME_WORDS_SEARCHED]:
        if len(word) >= 4:
            conditions.append((sa.literal(" ") + Location.name_search).like(f"% {word}%"))
    if not conditions:
        return []
    rows = session.execute(
        sa.select(Location.id, Location.name, Location.postcode)
        .where(sa.or_(*conditions))
        .order_by(Location.id)
        .limit(_MAX_REGISTRY_ROWS)
    )
    return [Candidate(location_id=r[0], name=r[1], postcode=r[2]) for r in rows]


@dataclass(frozen=True)
class ServiceMatch:
    """What the registry makes of a service's name and postcode: the one location that fits
    (by the rule the reconcile job links by), else the candidates worth a look, best first."""

    location_id: str | None
    candidates: list[Candidate]


def match_service(session: Session, name: str | None, postcode: str | None) -> ServiceMatch:
    found = registry_candidates(session, name, postcode)
    decision = decide(found, name, postcode)
    by_id = {c.location_id: c for c in found}
    return ServiceMatch(decision.location_id, [by_id[s.location_id] for s in decision.candidates])


def location_names(session: Session, location_ids: Iterable[str]) -> dict[str, str]:
    """The registry's name for each id it knows (ids it does not know are left out)."""
    wanted = {i for i in location_ids if i and len(i) <= 20}
    if not wanted:
        return {}
    rows = session.execute(sa.select(Location.id, Location.name).where(Location.id.in_(wanted)))
    return {location_id: name for location_id, name in rows}
