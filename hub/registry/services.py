"""The registry: searching locations, following re-registrations, and writing imported rows."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.clock import utcnow
from hub.errors import NotFound, ValidationFailed
from hub.keyset import keyset_page
from hub.privacy.generalise import normalise_postcode
from hub.registry.models import Location, LocationRelationship, Provider

PREDECESSOR = "HSCA Predecessor"

# Registry ids are `1-` and digits or ODS-style codes (`RXQ02`); anything else of this shape is
# accepted so a new id scheme does not lock data out, but nothing longer than the column.
LOCATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}")
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_SECTOR = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9])")
_BATCH = 500

# Fields an import may set on a location, with the column width strings are cut to.
LOCATION_FIELDS: dict[str, int | None] = {
    "provider_id": None,
    "name": 300,
    "also_known_as": 300,
    "postcode": 10,
    "address": 500,
    "region": 60,
    "local_authority": 120,
    "registration_status": 30,
    "registration_date": None,
    "deregistration_date": None,
    "inspection_directorate": 60,
    "service_types": None,
    "regulated_activities": None,
    "inspection_categories": None,
    "ratings": None,
}


def is_location_id(value: str) -> bool:
    """True if ``value`` has the shape of a registry id."""
    return LOCATION_ID.fullmatch(value) is not None


def search_text(value: str) -> str:
    """Lower-case, accent- and punctuation-free words: what names are searched and sorted by."""
    folded = unicodedata.normalize("NFKD", value)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    # Possessives go ("St Elsewhere's" → "elsewhere"), other apostrophes join ("O'Neill" →
    # "oneill"), and any other punctuation separates words.
    folded = re.sub(r"['\u2019`]s\b", "", folded)
    folded = re.sub(r"['\u2019`]", "", folded)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", folded).split())


def clean_postcode(value: str | None) -> str | None:
    """A postcode as ``SW1A 1AA``; an unrecognised one is kept upper-cased rather than lost."""
    if value is None or not value.strip():
        return None
    normal = normalise_postcode(value)
    if normal:
        return normal
    rough = " ".join(value.upper().split())
    return rough if len(rough) <= 10 else None


@dataclass
class LocationRecord:
    """One location as a file describes it; ``fields`` holds only what the file carries."""

    id: str
    fields: dict[str, Any]
    provider_name: str | None = None
    # (related id, type) → (related name, reason); None leaves existing links alone.
    relationships: dict[tuple[str, str], tuple[str | None, str | None]] | None = None


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    provider_ids: set[str] = field(default_factory=set)


def upsert_locations(
    session: Session, records: Iterable[LocationRecord], *, now: datetime | None = None
) -> UpsertCounts:
    """Insert or update locations by id, in batches; the caller owns the transaction and audit."""
    now = now or utcnow()
    counts = UpsertCounts()
    batch: list[LocationRecord] = []
    batch_ids: set[str] = set()
    for rec in records:
        # A repeated id starts a new batch, so the later row applies on top of the earlier one.
        if len(batch) >= _BATCH or rec.id in batch_ids:
            _apply_batch(session, batch, now, counts)
            batch, batch_ids = [], set()
        batch.append(rec)
        batch_ids.add(rec.id)
    if batch:
        _apply_batch(session, batch, now, counts)
    return counts


def _apply_batch(
    session: Session, batch: list[LocationRecord], now: datetime, counts: UpsertCounts
) -> None:
    ids = {r.id for r in batch}
    existing = {
        loc.id: loc for loc in session.scalars(sa.select(Location).where(Location.id.in_(ids)))
    }
    provider_ids = {r.fields["provider_id"] for r in batch if r.fields.get("provider_id")}
    providers = {
        p.id: p for p in session.scalars(sa.select(Provider).where(Provider.id.in_(provider_ids)))
    }
    links: dict[str, list[LocationRelationship]] = defaultdict(list)
    for link in session.scalars(
        sa.select(LocationRelationship).where(LocationRelationship.location_id.in_(ids))
    ):
        links[link.location_id].append(link)

    inserted: set[str] = set()
    changed: dict[str, bool] = {}
    for rec in batch:
        provider_id = rec.fields.get("provider_id")
        if provider_id:
            _ensure_provider(session, providers, provider_id, rec, now)
            counts.provider_ids.add(provider_id)
        loc = existing.get(rec.id)
        if loc is None:
            loc = Location(
                id=rec.id,
                name=rec.fields.get("name", rec.id),
                name_search="",
                registration_status="Registered",
                service_types=[],
                regulated_activities=[],
                inspection_categories=[],
            )
            session.add(loc)
            existing[rec.id] = loc
            inserted.add(rec.id)
        changed[rec.id] = _set_fields(loc, rec.fields) or changed.get(rec.id, False)
    # Locations first: links refer to them by foreign key.
    session.flush()
    for rec in batch:
        if rec.relationships is not None and _set_links(session, rec, links[rec.id]):
            changed[rec.id] = True
    for loc_id, did_change in changed.items():
        if loc_id in inserted:
            existing[loc_id].updated_at = now
            counts.inserted += 1
        elif did_change:
            existing[loc_id].updated_at = now
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()


def _ensure_provider(
    session: Session,
    providers: dict[str, Provider],
    provider_id: str,
    rec: LocationRecord,
    now: datetime,
) -> None:
    provider = providers.get(provider_id)
    if provider is None:
        name = rec.provider_name or rec.fields.get("name") or provider_id
        provider = Provider(id=provider_id, name=name[:300], updated_at=now)
        session.add(provider)
        providers[provider_id] = provider
    elif rec.provider_name and provider.name != rec.provider_name[:300]:
        provider.name = rec.provider_name[:300]
        provider.updated_at = now


def _set_fields(loc: Location, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        width = LOCATION_FIELDS[name]
        if width is not None and isinstance(value, str):
            value = value[:width]
        if getattr(loc, name) != value:
            setattr(loc, name, value)
            changed = True
    search = search_text(loc.name)[:300]
    if loc.name_search != search:
        loc.name_search = search
        changed = True
    return changed


def _set_links(session: Session, rec: LocationRecord, current: list[LocationRelationship]) -> bool:
    assert rec.relationships is not None
    wanted = rec.relationships
    have = {(link.related_location_id, link.type): link for link in current}
    changed = False
    for key, link in have.items():
        if key not in wanted:
            session.delete(link)
            changed = True
    for (related_id, kind), (name, reason) in wanted.items():
        name = name[:300] if name else None
        reason = reason[:200] if reason else None
        existing = have.get((related_id, kind))
        if existing is None:
            session.add(
                LocationRelationship(
                    location_id=rec.id,
                    related_location_id=related_id,
                    type=kind[:60],
                    related_location_name=name,
                    reason=reason,
                )
            )
            changed = True
        elif (existing.related_location_name, existing.reason) != (name, reason):
            existing.related_location_name, existing.reason = name, reason
            changed = True
    return changed


def _postcode_filter(postcode: str) -> sa.ColumnElement[bool]:
    text = " ".join(postcode.upper().split())
    full = normalise_postcode(text)
    if full:
        return Location.postcode == full
    sector = _SECTOR.fullmatch(text)
    if sector and " " in text:
        return Location.postcode.like(f"{sector.group(1)} {sector.group(2)}%")
    compact = text.replace(" ", "")
    if _OUTWARD.fullmatch(compact):
        district = Location.postcode.like(f"{compact} %")
        if compact[-1].isdigit():
            # Central London districts split into lettered sub-districts: SW1 covers SW1A, SW1E…
            letter = sa.func.substr(Location.postcode, len(compact) + 1, 1)
            return sa.or_(
                district,
                sa.and_(Location.postcode.like(f"{compact}_ %"), letter.between("A", "Z")),
            )
        return district
    raise ValidationFailed(
        "The postcode is not a UK postcode, district or sector.",
        errors={"postcode": ["Give a full postcode (SW1A 1AA), a district (SW1A) or a sector."]},
    )


def search_locations(
    session: Session,
    *,
    q: str | None = None,
    postcode: str | None = None,
    provider_id: str | None = None,
    limit: int,
    after: list[Any] | None = None,
) -> tuple[list[Location], list[Any] | None]:
    """One page of locations whose name has every word of ``q`` (word prefixes), by name."""
    stmt = sa.select(Location)
    if q:
        padded = sa.literal(" ") + Location.name_search
        for word in search_text(q).split():
            # The first test is the rule (a word of the name starts with it); the second, which
            # it implies, is the one PostgreSQL's trigram index on name_search can answer.
            stmt = stmt.where(padded.like(f"% {word}%"), Location.name_search.like(f"%{word}%"))
    if postcode and postcode.strip():
        stmt = stmt.where(_postcode_filter(postcode))
    if provider_id:
        stmt = stmt.where(Location.provider_id == provider_id.strip())
    # keyset_page's annotations predate SQLAlchemy 2.1's Select typing.
    page_stmt: Any = stmt
    keys: list[Any] = [Location.name_search, Location.id]
    rows: list[Location]
    rows, next_key = keyset_page(session, page_stmt, keys, limit=limit, after=after)
    return rows, next_key


def find_locations(
    session: Session, *, words: str = "", postcode: str = "", limit: int
) -> list[Location]:
    """Locations for someone looking up an id: every word of ``words`` begins a word of the
    name, the address or the local authority (a name, a town or both); and, if given, in the
    postcode, district or sector. Registered ones first, then by name.

    People type whatever they have into the words: when they match nothing, a registry id is
    looked up as such, and a postcode or district at their end (``meadow ls1 4ap``, ``ls14ap``)
    is searched as the postcode."""
    found = _find_locations(session, words=words, postcode=postcode, limit=limit)
    if found or not words.strip():
        return found
    by_id = session.get(Location, words.strip().upper())
    if by_id is not None:
        return [by_id]
    if postcode.strip():
        return []
    rest, typed_postcode = _trailing_postcode(words)
    if not typed_postcode:
        return []
    return _find_locations(session, words=rest, postcode=typed_postcode, limit=limit)


def _trailing_postcode(words: str) -> tuple[str, str]:
    """``words`` split into what comes before a postcode or district at its end, and that
    postcode (``""`` when none ends it)."""
    tokens = words.split()
    for n in (2, 1):
        tail = "".join(tokens[-n:]) if len(tokens) >= n else ""
        if normalise_postcode(tail) or (n == 1 and _OUTWARD.fullmatch(tail.upper())):
            return " ".join(tokens[:-n]), tail
    return words, ""


def _find_locations(session: Session, *, words: str, postcode: str, limit: int) -> list[Location]:
    stmt = sa.select(Location)
    haystack = (
        sa.literal(" ")
        + Location.name_search
        + sa.literal(" ")
        + sa.func.lower(sa.func.coalesce(Location.address, ""))
        + sa.literal(" ")
        + sa.func.lower(sa.func.coalesce(Location.local_authority, ""))
    )
    searched = False
    for word in search_text(words).split():
        stmt = stmt.where(haystack.like(f"% {word}%"))
        searched = True
    if postcode.strip():
        stmt = stmt.where(_postcode_filter(postcode))
        searched = True
    if not searched:
        return []
    registered_first = sa.case((Location.registration_status == "Registered", 0), else_=1)
    return list(
        session.scalars(
            stmt.order_by(registered_first, Location.name_search, Location.id).limit(limit)
        )
    )


def get_location(session: Session, location_id: str) -> Location:
    """The location with this id, or ``NotFound``."""
    loc = session.get(Location, location_id) if is_location_id(location_id) else None
    if loc is None:
        raise NotFound(f"The registry has no location {location_id!r}.")
    return loc


def predecessors(session: Session, location_id: str) -> list[str]:
    """Ids this location was re-registered from."""
    return list(
        session.scalars(
            sa.select(LocationRelationship.related_location_id)
            .where(
                LocationRelationship.location_id == location_id,
                LocationRelationship.type == PREDECESSOR,
            )
            .order_by(LocationRelationship.related_location_id)
        )
    )


def successors(session: Session, location_id: str) -> list[str]:
    """Ids that name this location as their predecessor."""
    return list(
        session.scalars(
            sa.select(LocationRelationship.location_id)
            .where(
                LocationRelationship.related_location_id == location_id,
                LocationRelationship.type == PREDECESSOR,
            )
            .order_by(LocationRelationship.location_id)
        )
    )


def _best_successor(session: Session, location_id: str, seen: set[str]) -> Location | None:
    # A split registration has several successors: prefer one still registered, then the newest.
    candidates = [
        loc
        for loc in session.scalars(
            sa.select(Location)
            .join(LocationRelationship, LocationRelationship.location_id == Location.id)
            .where(
                LocationRelationship.related_location_id == location_id,
                LocationRelationship.type == PREDECESSOR,
            )
        )
        if loc.id not in seen
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda loc: (
            loc.registration_status == "Registered",
            loc.registration_date or date.min,
            loc.id,
        ),
    )


def resolve_current(session: Session, location_id: str) -> Location | None:
    """The registration a location id lives on as today, following re-registrations forward.

    An id the registry only knows as someone's predecessor still resolves. The furthest
    registered location on the chain wins; failing that the furthest known one; unknown → None.
    """
    if not is_location_id(location_id):
        return None
    chain: list[Location] = []
    start = session.get(Location, location_id)
    if start is not None:
        chain.append(start)
    seen = {location_id}
    current = location_id
    while (nxt := _best_successor(session, current, seen)) is not None:
        chain.append(nxt)
        seen.add(nxt.id)
        current = nxt.id
    for loc in reversed(chain):
        if loc.registration_status == "Registered":
            return loc
    return chain[-1] if chain else None


def describe_location(session: Session, loc: Location, *, detail: bool = False) -> dict[str, Any]:
    """A location as the API and portal show it; ``detail`` adds links, ratings and activities."""
    body: dict[str, Any] = {
        "location_id": loc.id,
        "name": loc.name,
        "provider_id": loc.provider_id,
        "postcode": loc.postcode,
        "region": loc.region,
        "local_authority": loc.local_authority,
        "registration_status": loc.registration_status,
        "service_types": list(loc.service_types or []),
        "overall_rating": (loc.ratings or {}).get("overall"),
    }
    if not detail:
        return body
    current = resolve_current(session, loc.id)
    body.update(
        provider_name=loc.provider.name if loc.provider else None,
        also_known_as=loc.also_known_as,
        address=loc.address,
        registration_date=loc.registration_date,
        deregistration_date=loc.deregistration_date,
        inspection_directorate=loc.inspection_directorate,
        regulated_activities=list(loc.regulated_activities or []),
        inspection_categories=list(loc.inspection_categories or []),
        ratings=loc.ratings,
        predecessor_ids=predecessors(session, loc.id),
        successor_ids=successors(session, loc.id),
        current_location_id=current.id if current else loc.id,
        updated_at=loc.updated_at,
    )
    return body
