"""What a record and its consent held when they were stored, pinned in the audit chain.

Each ``experience.created`` event carries keyed digests (HMAC-SHA256 under the intake digest
key, so the audit log reveals nothing about the words) of:

- ``stored_digest``: the record's fields that never change after intake (organisation,
  partner reference, submission, received time, the place and service as submitted, dates,
  ratings, vocabularies, safeguarding flags);
- ``narrative_digest``: the raw narrative as stored;
- ``consent_digest``: the consent's terms (scopes, flags, obtained, method, lawful basis,
  notice version).

``check_stored_content`` recomputes them for every record: an edit of a stored narrative,
field or consent is found (``hub audit verify``). What the hub itself changes later is allowed
for: a withdrawal or retention erases or replaces the narrative (``None``, or the redacted copy),
and withdrawal changes the consent's status but not its terms.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from hub.audit.models import AuditEvent
from hub.consent.models import ConsentRecord
from hub.exchange.records.models import ExperienceRecord

RECORD_FIELDS = (
    "organisation_id",
    "partner_record_id",
    "submission_id",
    "received_at",
    "submitted_location_id",
    "service_name",
    "service_postcode",
    "service_type",
    "experience_date",
    "date_precision",
    "respondent_role",
    "collection_channel",
    "overall_experience",
    "key_questions",
    "condition_areas",
    "themes",
    "safeguarding_concern",
    "safeguarding_immediate",
    "safeguarding_categories",
)
CONSENT_FIELDS = (
    "experience_id",
    "scopes",
    "publish_anonymised",
    "feedback",
    "equality_monitoring",
    "obtained_at",
    "method",
    "lawful_basis",
    "notice_version",
)


_AS_IS = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> Any:
    """A stored value as the digest's JSON holds it: times in UTC and dates in ISO form, ids as
    text, lists as lists, plain values as they are."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        if all(type(v) in _AS_IS for v in value):
            return value  # as json.dumps writes it: a tuple as a list
        return [_plain(v) for v in value]
    return value


# The fields in the order ``json.dumps(..., sort_keys=True)`` writes them, so the digest's JSON
# is written from values in this order without sorting.
_RECORD_NAMES = tuple(sorted(RECORD_FIELDS))
_CONSENT_NAMES = tuple(sorted(CONSENT_FIELDS))
_encode = json.JSONEncoder(separators=(",", ":")).encode


def _fields_digest(key: bytes, names: tuple[str, ...], plain: Sequence[Any]) -> str:
    """The one canonical form, at intake and in the check: JSON (ASCII, no spaces, keys in
    sorted order) of the sorted ``names`` with their plain values (``plain`` in the same order,
    any extra values after them ignored), HMAC-SHA256 under ``key``."""
    canonical = _encode(dict(zip(names, plain, strict=False)))
    return hmac.digest(key, canonical.encode("utf-8", "surrogatepass"), "sha256").hex()


def _narrative_digest(key: bytes, narrative: str) -> str:
    return hmac.digest(key, narrative.encode("utf-8", "surrogatepass"), "sha256").hex()


def _digest(key: bytes, values: Mapping[str, Any], names: tuple[str, ...]) -> str:
    plain = []
    for name in names:
        value = values.get(name)
        plain.append(value if type(value) in _AS_IS else _plain(value))
    return _fields_digest(key, names, plain)


def record_digests(
    key: bytes, record: Mapping[str, Any], consent: Mapping[str, Any]
) -> dict[str, str | None]:
    """The digests an ``experience.created`` event carries for a record and its consent."""
    narrative = record.get("narrative")
    return {
        "stored_digest": _digest(key, record, _RECORD_NAMES),
        "narrative_digest": None if narrative is None else _narrative_digest(key, narrative),
        "consent_digest": _digest(key, consent, _CONSENT_NAMES),
    }


@dataclass(frozen=True)
class ContentProblem:
    seq: int
    experience_id: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "experience_id": self.experience_id, "reason": self.reason}


def _loads(text: str | None) -> Any:
    """JSON text as ``json.loads`` reads it: by orjson where it can (ints beyond 64 bits and
    other values orjson refuses go to ``json.loads``)."""
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class _Reader:
    """One table's columns as the driver's plain rows: the SQL, and for each column that needs
    it, the step from the driver's value to the digest's plain value."""

    sql: str
    convert: tuple[tuple[int, Converter], ...]

    def rows(self, cursor: Any, ids: list[uuid.UUID], as_text: bool) -> Iterator[list[Any]]:
        if as_text:
            cursor.execute(self.sql, (orjson.dumps([i.hex for i in ids]).decode(),))
        else:
            cursor.execute(self.sql, {"ids": ids})
        convert = self.convert
        for row in cursor.fetchall():
            values = list(row)
            for i, step in convert:
                value = values[i]
                if value is not None:
                    values[i] = step(value)
            yield values


def _then_plain(process: Converter) -> Converter:
    return lambda value: _plain(process(value))


def _reader(dialect: sa.Dialect, columns: list[Any], key_column: Any) -> _Reader:
    """``columns`` read through the DBAPI cursor, each value as ``_plain`` makes it of what the
    ORM reads: JSON columns as text parsed by ``_loads`` (whose values are plain already), ids
    as text on PostgreSQL (``str`` of the UUID), other columns through SQLAlchemy's own result
    processor for the column's type, then ``_plain``. Columns whose driver value is plain
    already (text, integers, booleans from psycopg) are not touched."""
    postgres = dialect.name == "postgresql"
    selected: list[Any] = []
    convert: list[tuple[int, Converter]] = []
    for i, column in enumerate(columns):
        kind = column.type
        if isinstance(kind, sa.JSON):
            selected.append(sa.cast(column, sa.Text))
            convert.append((i, _loads))
            continue
        if postgres and isinstance(kind, sa.Uuid):
            selected.append(sa.cast(column, sa.Text))
            continue
        selected.append(column)
        process = kind.dialect_impl(dialect).result_processor(dialect, None)
        python = kind.python_type
        if process is not None:
            convert.append((i, _then_plain(process)))
        elif python not in _AS_IS:
            convert.append((i, _plain))
    ids: sa.BindParameter[Any] = sa.bindparam("ids")
    if postgres:
        query = sa.select(*selected).where(key_column == sa.any_(sa.cast(ids, ARRAY(sa.Uuid))))
    else:  # a JSON array of the ids' hex, the form SQLite stores them in
        each: sa.Select[Any] = sa.select(sa.column("value")).select_from(sa.func.json_each(ids))
        query = sa.select(*selected).where(key_column.in_(each.scalar_subquery()))
    sql = str(query.compile(dialect=dialect))
    return _Reader(sql, tuple(convert))


# Rows: the record's fields in _RECORD_NAMES order, then narrative, redacted narrative and id;
# the consent's fields in _CONSENT_NAMES order (experience_id among them).
_RECORD_READ = [
    *(getattr(ExperienceRecord, n) for n in _RECORD_NAMES),
    ExperienceRecord.narrative,
    ExperienceRecord.narrative_redacted,
    ExperienceRecord.id,
]
_CONSENT_READ = [getattr(ConsentRecord, n) for n in _CONSENT_NAMES]
_CONSENT_KEY = _CONSENT_NAMES.index("experience_id")
_N = len(_RECORD_NAMES)
_readers: dict[tuple[str, str], tuple[_Reader, _Reader]] = {}


def _readers_for(dialect: sa.Dialect) -> tuple[_Reader, _Reader]:
    readers = _readers.get((dialect.name, dialect.driver))
    if readers is None:
        readers = _readers[dialect.name, dialect.driver] = (
            _reader(dialect, _RECORD_READ, ExperienceRecord.id),
            _reader(dialect, _CONSENT_READ, ConsentRecord.experience_id),
        )
    return readers


def check_stored_content(
    session: Session | sa.Connection,
    key: bytes,
    batch: int = 2000,
    *,
    after: int = 0,
    upto: int | None = None,
) -> Iterator[ContentProblem]:
    """Every record whose stored content no longer matches the digests its audit event pinned
    (of the events with ``after < seq <= upto``, all by default). Only the columns the digests
    cover are read, as plain rows."""
    stmt = (
        sa.select(AuditEvent.seq, AuditEvent.object_id, AuditEvent.details)
        .where(AuditEvent.action == "experience.created", AuditEvent.seq > after)
        .order_by(AuditEvent.seq)
    )
    if upto is not None:
        stmt = stmt.where(AuditEvent.seq <= upto)
    events = session.execute(stmt.execution_options(yield_per=batch))
    pending: list[tuple[int, uuid.UUID, dict[str, Any]]] = []
    try:
        for seq, object_id, details in events:
            if not details or "stored_digest" not in details:
                continue  # recorded before digests were pinned
            pending.append((seq, uuid.UUID(object_id), details))
            if len(pending) >= batch:
                yield from _check(session, key, pending)
                pending = []
    finally:
        events.close()
    yield from _check(session, key, pending)


def _check(
    session: Session | sa.Connection,
    key: bytes,
    pending: list[tuple[int, uuid.UUID, dict[str, Any]]],
) -> Iterator[ContentProblem]:
    if not pending:
        return
    connection = session.connection() if isinstance(session, Session) else session
    dialect = connection.dialect
    record_reader, consent_reader = _readers_for(dialect)
    as_text = dialect.name != "postgresql"
    ids = [i for _, i, _ in pending]
    # The same DBAPI connection, so the same transaction and snapshot as the events' query.
    cursor = connection.connection.cursor()
    try:
        records = {r[-1]: r for r in record_reader.rows(cursor, ids, as_text)}
        consents = {c[_CONSENT_KEY]: c for c in consent_reader.rows(cursor, ids, as_text)}
    finally:
        cursor.close()
    for seq, ident, pinned in pending:
        name = str(ident)
        rec = records.get(name)
        if rec is None:
            yield ContentProblem(seq, name, "the record is gone")
            continue
        if _fields_digest(key, _RECORD_NAMES, rec) != pinned["stored_digest"]:
            yield ContentProblem(seq, name, "the record's stored fields were edited")
        consent = consents.get(name)
        if consent is None or _fields_digest(key, _CONSENT_NAMES, consent) != pinned.get(
            "consent_digest"
        ):
            yield ContentProblem(seq, name, "the record's consent was edited or removed")
        narrative, redacted = rec[_N], rec[_N + 1]
        erased_or_replaced = narrative is None or narrative == redacted
        if not erased_or_replaced and _narrative_digest(key, narrative) != pinned.get(
            "narrative_digest"
        ):
            yield ContentProblem(seq, name, "the stored narrative was edited")
