"""The registry's location names as a keep-list for redaction, read once per process.

Intake (and any job that redacts stored narratives) passes :func:`registry_keep_list` as
``keep=`` to :func:`hub.privacy.redaction.redact_many`, so "Meadowbank Nursing Home" survives
redaction wherever a narrative names it. Reading and building the list takes a moment, so it is
kept per process (and database) and read again only when the registry has changed: an import in
this process forgets it at once (:func:`forget_registry_keep_list`), and another process's
import is seen within ``RECHECK_SECONDS`` through the registry's size and newest update.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.privacy.keep import KeepList, default_keep_list, place_names
from hub.registry.models import Location

RECHECK_SECONDS = 60.0

Fingerprint = tuple[int, datetime | None]


@dataclass
class _Cached:
    keep: KeepList
    fingerprint: Fingerprint
    checked: float


_lock = threading.Lock()
_cached: dict[str, _Cached] = {}  # by database


def _database(session: Session) -> str:
    return str(session.get_bind().engine.url)


def _fingerprint(session: Session) -> Fingerprint:
    count, newest = session.execute(
        sa.select(sa.func.count(Location.id), sa.func.max(Location.updated_at))
    ).one()
    return int(count), newest


def location_names(session: Session) -> list[str]:
    """Every location's name and other name, once each, in order."""
    rows = session.execute(sa.select(Location.name, Location.also_known_as)).all()
    names = {n.strip() for row in rows for n in row if n and n.strip()}
    return sorted(names)


def registry_keep_list(session: Session) -> KeepList:
    """The default keep-list joined by the registry's location names (see module docs)."""
    database = _database(session)
    now = time.monotonic()
    cached = _cached.get(database)
    if cached is not None and now - cached.checked < RECHECK_SECONDS:
        return cached.keep
    fingerprint = _fingerprint(session)
    if cached is not None and cached.fingerprint == fingerprint:
        cached.checked = now
        return cached.keep
    with _lock:
        keep = default_keep_list().with_phrases(place_names(location_names(session)))
        _cached[database] = _Cached(keep, fingerprint, now)
    return keep


def forget_registry_keep_list() -> None:
    """Make the next :func:`registry_keep_list` read the registry again (after an import)."""
    _cached.clear()
