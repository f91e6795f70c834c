"""Reading and extending the vocabularies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.cache import TTL_SECONDS, ProcessCache
from hub.cache_sessions import cached
from hub.clock import utcnow
from hub.errors import Conflict, Forbidden, ValidationFailed
from hub.vocab.kinds import KINDS, canonical_kind, is_valid_value
from hub.vocab.models import VocabularyTerm


@dataclass(frozen=True)
class Vocabularies:
    """Every vocabulary's allowed values, loaded once per request or batch."""

    terms: Mapping[str, tuple[str, ...]]
    _sets: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sets", {k: frozenset(v) for k, v in self.terms.items()})

    def allows(self, kind: str, value: str) -> bool:
        """Tell whether ``value`` belongs to the vocabulary ``kind``."""
        allowed = self._sets.get(kind)
        return allowed is not None and value in allowed

    def values(self, kind: str) -> tuple[str, ...]:
        """The vocabulary's values in their display order."""
        return self.terms.get(kind, ())


# Read by every submission: kept TTL_SECONDS at most per process, and dropped when this process
# changes a vocabulary (another process's change is seen within TTL_SECONDS).
_VOCABULARIES: ProcessCache[object, Vocabularies] = ProcessCache(
    "vocabularies", tables={VocabularyTerm.__tablename__}, ttl=TTL_SECONDS, maxsize=8
)


def load_vocabularies(session: Session) -> Vocabularies:
    """All vocabularies (one query, or none while they are cached)."""
    # Keyed by the database: a process may serve more than one (the tests do).
    database = session.get_bind().engine
    return cached(session, _VOCABULARIES, database, lambda: _read_vocabularies(session))


def _read_vocabularies(session: Session) -> Vocabularies:
    rows = session.execute(
        sa.select(VocabularyTerm.kind, VocabularyTerm.value).order_by(
            VocabularyTerm.kind, VocabularyTerm.position, VocabularyTerm.value
        )
    )
    terms: dict[str, list[str]] = defaultdict(list)
    for kind, value in rows:
        terms[kind].append(value)
    return Vocabularies({k: tuple(v) for k, v in terms.items()})


def list_terms(session: Session, kind: str | None = None) -> list[VocabularyTerm]:
    """The terms of one vocabulary (or of all), in display order."""
    stmt = sa.select(VocabularyTerm).order_by(
        VocabularyTerm.kind, VocabularyTerm.position, VocabularyTerm.value
    )
    if kind is not None:
        stmt = stmt.where(VocabularyTerm.kind == _kind_or_fail(kind))
    return list(session.scalars(stmt))


def add_term(
    session: Session,
    actor: Actor,
    kind: str,
    value: str,
    label: str | None = None,
    *,
    now: datetime | None = None,
) -> VocabularyTerm:
    """Extend a vocabulary with a new value; only the regulator (or the hub itself) may."""
    if not (actor.kind == "system" or actor.is_regulator):
        raise Forbidden("Only the regulator can extend the vocabularies.")
    canonical = _kind_or_fail(kind)
    value = value.strip().lower()
    if not is_valid_value(value):
        raise ValidationFailed(
            f"{value!r} is not a usable value.",
            errors={"value": ["Use lower-case letters, digits, '-' or '+' (at most 60)."]},
        )
    label = (label or value.replace("-", " ").capitalize()).strip()
    if not label or len(label) > 200:
        raise ValidationFailed(
            "The label must be 1 to 200 characters.", errors={"label": ["1 to 200 characters."]}
        )
    if session.get(VocabularyTerm, (canonical, value)) is not None:
        raise Conflict(f"{value!r} is already in the {canonical} vocabulary.")
    last = session.scalar(
        sa.select(sa.func.max(VocabularyTerm.position)).where(VocabularyTerm.kind == canonical)
    )
    now = now or utcnow()
    term = VocabularyTerm(
        kind=canonical, value=value, label=label, position=(last or 0) + 1, created_at=now
    )
    session.add(term)
    session.flush()
    record(
        session,
        actor,
        "vocabulary.term_added",
        object_type="vocabulary",
        object_id=canonical,
        details={"kind": canonical, "value": value},
        now=now,
    )
    return term


def _kind_or_fail(kind: str) -> str:
    canonical = canonical_kind(kind)
    if canonical is None:
        raise ValidationFailed(
            f"There is no vocabulary called {kind!r}.",
            errors={"kind": [f"Choose from: {', '.join(KINDS)}."]},
        )
    return canonical
