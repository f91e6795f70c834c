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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
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


def _digest(key: bytes, values: Mapping[str, Any], names: tuple[str, ...]) -> str:
    plain: dict[str, Any] = {}
    for name in names:
        value = values.get(name)
        plain[name] = value if type(value) in _AS_IS else _plain(value)
    canonical = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    return hmac.digest(key, canonical.encode("utf-8", "surrogatepass"), "sha256").hex()


def record_digests(
    key: bytes, record: Mapping[str, Any], consent: Mapping[str, Any]
) -> dict[str, str | None]:
    """The digests an ``experience.created`` event carries for a record and its consent."""
    narrative = record.get("narrative")
    return {
        "stored_digest": _digest(key, record, RECORD_FIELDS),
        "narrative_digest": None
        if narrative is None
        else hmac.digest(key, narrative.encode("utf-8", "surrogatepass"), "sha256").hex(),
        "consent_digest": _digest(key, consent, CONSENT_FIELDS),
    }


@dataclass(frozen=True)
class ContentProblem:
    seq: int
    experience_id: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "experience_id": self.experience_id, "reason": self.reason}


def _json_as_text(column: Any) -> Any:
    """A JSON column read as its JSON text (parsed by ``_loads``), anything else as it is."""
    if isinstance(column.type, sa.JSON):
        return sa.cast(column, sa.Text).label(column.key)
    return column


_RECORD_COLUMNS = [
    ExperienceRecord.id,
    *(_json_as_text(getattr(ExperienceRecord, n)) for n in RECORD_FIELDS),
    ExperienceRecord.narrative,
    ExperienceRecord.narrative_redacted,
]
_RECORD_JSON = [n for n in RECORD_FIELDS if isinstance(getattr(ExperienceRecord, n).type, sa.JSON)]
_CONSENT_COLUMNS = [_json_as_text(getattr(ConsentRecord, n)) for n in CONSENT_FIELDS]
_CONSENT_JSON = [n for n in CONSENT_FIELDS if isinstance(getattr(ConsentRecord, n).type, sa.JSON)]


def _loads(text: str | None) -> Any:
    """JSON text as ``json.loads`` reads it: by orjson where it can (ints beyond 64 bits and
    other values orjson refuses go to ``json.loads``)."""
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _parsed(row: Any, names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = row._asdict()
    for name in names:
        values[name] = _loads(values[name])
    return values


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
    ids = [i for _, i, _ in pending]
    records = {
        r.id: r
        for r in session.execute(sa.select(*_RECORD_COLUMNS).where(ExperienceRecord.id.in_(ids)))
    }
    consents = {
        c.experience_id: c
        for c in session.execute(
            sa.select(*_CONSENT_COLUMNS).where(ConsentRecord.experience_id.in_(ids))
        )
    }
    for seq, ident, pinned in pending:
        rec = records.get(ident)
        if rec is None:
            yield ContentProblem(seq, str(ident), "the record is gone")
            continue
        consent = consents.get(ident)
        record = _parsed(rec, _RECORD_JSON)
        terms = _parsed(consent, _CONSENT_JSON) if consent is not None else {}
        now = record_digests(key, record, terms)
        if now["stored_digest"] != pinned["stored_digest"]:
            yield ContentProblem(seq, str(ident), "the record's stored fields were edited")
        if consent is None or now["consent_digest"] != pinned.get("consent_digest"):
            yield ContentProblem(seq, str(ident), "the record's consent was edited or removed")
        narrative = rec.narrative
        erased_or_replaced = narrative is None or narrative == rec.narrative_redacted
        if not erased_or_replaced and now["narrative_digest"] != pinned.get("narrative_digest"):
            yield ContentProblem(seq, str(ident), "the stored narrative was edited")
