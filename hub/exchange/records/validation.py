"""Checking one submitted record against the contract (pure rules: no I/O).

The schema checks shape; here come the rules that need the vocabularies, the clock or the consent:
each record ends as a ``Candidate`` ready to store, or a ``Rejection`` naming every bad path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError

from hub.consent.rules import (
    CONSENT_SCOPES,
    EQUALITY_MONITORING,
    LAWFUL_BASES,
    REGULATOR_USE,
    ConsentTerms,
    normalise_lawful_basis,
)
from hub.errors import BAD_TEXT as _BAD_TEXT
from hub.errors import flatten_errors as flatten
from hub.errors import safe_name
from hub.exchange.records.schemas import (
    _DAY,
    _MONTH,
    _PARTNER_ID,
    LOCATION_ID,
    MAX_LIST,
    MAX_NARRATIVE,
    ExperienceInSchema,
)
from hub.privacy.generalise import normalise_postcode
from hub.vocab.kinds import FIELD_KINDS
from hub.vocab.services import Vocabularies

VALIDATION_FAILED = "validation-failed"
CONSENT_REQUIRED = "consent-required"
DUPLICATE_CONFLICT = "duplicate-conflict"

# A consent stamped a little ahead of the hub's clock is clock skew, not the future.
CLOCK_SKEW = timedelta(minutes=5)
# "Today" is the partner's day: British Summer Time runs up to an hour ahead of UTC.
UK_AHEAD_OF_UTC = timedelta(hours=1)
_EQUALITY = ("age_band", "sex", "ethnic_group", "disability")
_SCALARS = ("service_type", "respondent_role", "collection_channel", "sentiment")
_LISTS = ("key_questions", "condition_areas", "themes")

_schema = ExperienceInSchema()


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a record was refused: a stable code and messages by field path."""

    code: str
    errors: dict[str, list[str]]


@dataclass(slots=True)
class Candidate:
    """A valid record, normalised, with what the hub keeps of it and nothing else."""

    partner_record_id: str
    fields: dict[str, Any]  # columns of ExperienceRecord taken from the submission
    narrative: str
    consent: ConsentTerms
    concern: bool
    immediate_risk: bool
    categories: tuple[str, ...]
    equality_dropped: bool

    def content(self) -> dict[str, Any]:
        """Everything stored from the submission: what a replay must match exactly."""
        consent = self.consent
        return {
            **self.fields,
            "narrative": self.narrative,
            "safeguarding": [self.concern, self.immediate_risk, list(self.categories)],
            "consent": [
                list(consent.scopes),
                consent.obtained_at,
                consent.method,
                consent.lawful_basis,
                consent.notice_version,
            ],
        }


MESSAGE_MAX = 300


def storable(text: str, limit: int = MESSAGE_MAX) -> str:
    """Text a report can keep and show: NUL and lone surrogates (which no database stores and
    no UTF-8 carries) become U+FFFD, and a whole pasted page is cut short."""
    text = _BAD_TEXT.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _may_hold_unstorable_text(raw: Any) -> bool:
    # One C-speed dump instead of a Python walk per record: JSON escapes NUL as \u0000 and
    # keeps lone surrogates as they are. A false alarm only costs the exact walk.
    dumped = json.dumps(raw, ensure_ascii=False, default=str)
    return "\\u0000" in dumped or _BAD_TEXT.search(dumped) is not None


def unstorable_text(raw: Any, path: str = "") -> dict[str, list[str]]:
    """Paths of strings (values or names) holding NUL or lone surrogates, which no database
    can store and no UTF-8 can carry."""
    found: dict[str, list[str]] = {}
    if isinstance(raw, str):
        if _BAD_TEXT.search(raw):
            found[path or "_schema"] = ["Text must be Unicode without NUL characters."]
    elif isinstance(raw, Mapping):
        for key, value in raw.items():
            name = str(key)
            sub = f"{path}.{safe_name(name)}" if path else safe_name(name)
            if _BAD_TEXT.search(name):
                found[sub] = ["Field names must be Unicode without NUL characters."]
            else:
                found.update(unstorable_text(value, sub))
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            found.update(unstorable_text(value, f"{path}[{i}]"))
    return found


def partner_record_id_of(raw: Any) -> str | None:
    """The partner's id as sent, when it is a usable string (for reporting a rejection)."""
    if isinstance(raw, Mapping):
        value = raw.get("partner_record_id")
        if isinstance(value, str) and 0 < len(value) <= 100 and not _BAD_TEXT.search(value):
            return value
    return None


def _lacks_regulator_use(raw: Any) -> bool:
    """No consent, no scopes, or scopes without ``regulator_use`` (but not a malformed list)."""
    consent = raw.get("consent") if isinstance(raw, Mapping) else None
    if consent is None:
        return True
    scopes = consent.get("scopes") if isinstance(consent, Mapping) else None
    if scopes is None:
        return isinstance(consent, Mapping)
    return isinstance(scopes, list) and REGULATOR_USE not in scopes


def _rejection(raw: Any, errors: dict[str, list[str]]) -> Rejection:
    """Consent problems alone are ``consent-required``; anything else ``validation-failed``."""
    if _lacks_regulator_use(raw):
        message = _consent_message()
        if message[0] not in errors.get("consent.scopes", []):
            errors.setdefault("consent.scopes", []).extend(message)
        if set(errors) <= {"consent", "consent.scopes"}:
            return Rejection(CONSENT_REQUIRED, errors)
    return Rejection(VALIDATION_FAILED, errors)


def _consent_message() -> list[str]:
    return [
        f"Consent must include '{REGULATOR_USE}': the hub only takes records people agreed "
        "to share with the regulator."
    ]


def _vocab_error(vocab: Vocabularies, kind: str) -> list[str]:
    # The value is not echoed: messages are stored with submissions, and a value may be
    # equality data the person never agreed to have kept.
    return [f"Not a known value. Choose from: {', '.join(vocab.values(kind))}."]


def validate_record(
    raw: Any, vocab: Vocabularies, now: datetime, schema: Schema = _schema
) -> Candidate | Rejection:
    """Check one record as submitted; paths in errors are relative to the record.

    Every problem is reported at once: the rules below also run over whatever part of the
    record passed the schema.
    """
    if not isinstance(raw, Mapping):
        return Rejection(VALIDATION_FAILED, {"_schema": ["Each record must be a JSON object."]})
    if _may_hold_unstorable_text(raw):
        unstorable = unstorable_text(raw)
        if unstorable:
            return Rejection(VALIDATION_FAILED, unstorable)
    data: dict[str, Any] | None = plain_load(raw) if schema is _schema else None
    if data is not None:
        errors = _rule_errors(data, vocab, now)
        if errors:
            return _rejection(raw, errors)
        return _candidate(data)
    try:
        data = schema.load(raw)
    except ValidationError as exc:
        errors = flatten(exc.messages)
        partial = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        for path, messages in _rule_errors(partial, vocab, now).items():
            errors.setdefault(path, messages)
        return _rejection(raw, errors)
    errors = _rule_errors(data, vocab, now)
    if errors:
        return _rejection(raw, errors)
    return _candidate(data)


class _Unusual(Exception):
    """Not the plain shape :func:`plain_load` knows: the schema decides."""


_TOP_FIELDS = frozenset(_schema.fields)
_SERVICE_FIELDS = frozenset(("name", "postcode"))
_GUARD_FIELDS = frozenset(("concern", "immediate_risk", "categories"))
_CONSENT_FIELDS = frozenset(("scopes", "obtained_at", "method", "lawful_basis", "notice_version"))
_SCOPES = frozenset(CONSENT_SCOPES)
_EQUALITY_FIELDS = frozenset(_EQUALITY)
_OPTIONAL_TEXT = (("service_type", 60), ("respondent_role", 60), ("collection_channel", 60))


def _text(value: Any, max_len: int) -> str:
    if type(value) is not str or not 0 < len(value) <= max_len:
        raise _Unusual
    return value


def _optional_text(raw: Mapping[str, Any], name: str, max_len: int) -> str | None:
    value = raw.get(name)
    return None if value is None else _text(value, max_len)


def _slugs(raw: Mapping[str, Any], name: str) -> list[str]:
    values = raw.get(name, ())
    if name in raw and (type(values) is not list or len(values) > MAX_LIST):
        raise _Unusual
    return [_text(v, 60) for v in values]


def _object(raw: Mapping[str, Any], name: str, allowed: frozenset[str]) -> dict[str, Any] | None:
    value = raw.get(name)
    if value is not None and (type(value) is not dict or not value.keys() <= allowed):
        raise _Unusual
    return value


def _boolean(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name, False)
    if value is not True and value is not False:
        raise _Unusual
    return value


def plain_load(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """``ExperienceInSchema().load(raw)`` for a record in the plain shape nearly every partner
    sends (JSON types as the contract gives them, every value valid), without the schema's
    machinery; None for anything else, which the schema then loads and words the errors of.

    It gives exactly what the schema gives (tests/unit/test_intake_plain_load.py compares the
    two on generated records) at a tenth of the cost.
    """
    try:
        return _plain_load(raw)
    except _Unusual:
        return None


def _plain_load(raw: Mapping[str, Any]) -> dict[str, Any]:
    if type(raw) is not dict or not raw.keys() <= _TOP_FIELDS:
        raise _Unusual
    pid = raw.get("partner_record_id")
    if type(pid) is not str or not 0 < len(pid) <= 100 or not _PARTNER_ID.fullmatch(pid):
        raise _Unusual
    location = raw.get("location_id")
    if location is not None:
        if type(location) is not str:
            raise _Unusual
        location = location.strip()
        if location[:1] in ("r", "R"):
            location = location.upper()
        if not LOCATION_ID.fullmatch(location):
            raise _Unusual
    service = _object(raw, "service", _SERVICE_FIELDS)
    if service is not None:
        postcode = service.get("postcode")
        if postcode is not None:
            if type(postcode) is not str:
                raise _Unusual
            postcode = normalise_postcode(postcode)
            if postcode is None:
                raise _Unusual
        service = {"name": _text(service.get("name"), 300), "postcode": postcode}
    if location is None and service is None:
        raise _Unusual
    when = raw.get("experience_date")
    if type(when) is not str:
        raise _Unusual
    try:
        if m := _DAY.fullmatch(when):
            experience_date = (date(int(m[1]), int(m[2]), int(m[3])), "day")
        elif m := _MONTH.fullmatch(when):
            experience_date = (date(int(m[1]), int(m[2]), 1), "month")
        else:
            raise _Unusual
    except ValueError:
        raise _Unusual from None
    overall = raw.get("overall_experience")
    if overall is not None and (type(overall) is not int or not 1 <= overall <= 5):
        raise _Unusual
    narrative = _text(raw.get("narrative"), MAX_NARRATIVE)
    if not narrative.strip():
        raise _Unusual
    guard = _object(raw, "safeguarding", _GUARD_FIELDS)
    if guard is not None:
        guard = {
            "concern": _boolean(guard, "concern"),
            "immediate_risk": _boolean(guard, "immediate_risk"),
            "categories": _slugs(guard, "categories"),
        }
    equality = _object(raw, "equality", _EQUALITY_FIELDS)
    if equality is not None:
        equality = {name: _optional_text(equality, name, 60) for name in _EQUALITY}
    consent = _object(raw, "consent", _CONSENT_FIELDS)
    if consent is None:
        raise _Unusual
    scopes = consent.get("scopes")
    if type(scopes) is not list or not all(type(s) is str and s in _SCOPES for s in scopes):
        raise _Unusual
    obtained_at = consent.get("obtained_at")
    if obtained_at is not None:
        if type(obtained_at) is not str:
            raise _Unusual
        try:
            obtained_at = datetime.fromisoformat(obtained_at)
        except ValueError:
            raise _Unusual from None
        if obtained_at.tzinfo is None or obtained_at.utcoffset() is None:
            obtained_at = obtained_at.replace(tzinfo=UTC)
    return {
        "partner_record_id": pid,
        "location_id": location,
        "service": service,
        **{name: _optional_text(raw, name, max_len) for name, max_len in _OPTIONAL_TEXT},
        "experience_date": experience_date,
        "overall_experience": overall,
        "sentiment": _optional_text(raw, "sentiment", 20),
        **{name: _slugs(raw, name) for name in _LISTS},
        "narrative": narrative,
        "safeguarding": guard,
        "equality": equality,
        "consent": {
            "scopes": list(scopes),
            "obtained_at": obtained_at,
            "method": _optional_text(consent, "method", 40),
            "lawful_basis": _text(consent.get("lawful_basis", "consent"), 40),
            "notice_version": _optional_text(consent, "notice_version", 100),
        },
    }


def _rule_errors(
    data: Mapping[str, Any], vocab: Vocabularies, now: datetime
) -> dict[str, list[str]]:
    """The contract's rules beyond shape, over whichever fields ``data`` holds."""
    errors: dict[str, list[str]] = {}

    def check_value(path: str, kind: str, value: Any) -> None:
        if isinstance(value, str) and not vocab.allows(kind, value):
            errors[path] = _vocab_error(vocab, kind)

    for name in _SCALARS:
        check_value(name, FIELD_KINDS[name], data.get(name))
    for name in _LISTS:
        for i, value in enumerate(data.get(name) or []):
            check_value(f"{name}[{i}]", FIELD_KINDS[name], value)
    guard = data.get("safeguarding") or {}
    for i, value in enumerate(guard.get("categories") or []):
        check_value(f"safeguarding.categories[{i}]", "safeguarding_category", value)
    when = data.get("experience_date")
    if when is not None and _after_today(when[0], when[1], (now + UK_AHEAD_OF_UTC).date()):
        errors["experience_date"] = ["Must not be in the future."]

    consent = data.get("consent") or {}
    basis = consent.get("lawful_basis")
    if basis is not None and normalise_lawful_basis(basis) not in LAWFUL_BASES:
        errors["consent.lawful_basis"] = [f"Choose from: {', '.join(LAWFUL_BASES)}."]
    obtained_at = consent.get("obtained_at")
    if obtained_at is not None and obtained_at > now + CLOCK_SKEW:
        errors["consent.obtained_at"] = ["Must not be in the future."]
    scopes = consent.get("scopes")
    if scopes is not None and EQUALITY_MONITORING in scopes:
        # Without this scope equality data is dropped unseen, so it cannot cost the record.
        for name in _EQUALITY:
            check_value(f"equality.{name}", name, (data.get("equality") or {}).get(name))
    if scopes is not None and REGULATOR_USE not in scopes:
        errors["consent.scopes"] = _consent_message()
    return errors


def _candidate(data: dict[str, Any]) -> Candidate:
    consent = data["consent"]
    scopes = tuple(_unique(consent["scopes"]))
    guard = data["safeguarding"] or {}
    service = data["service"] or {}
    day, precision = data["experience_date"]
    equality = {k: v for k, v in (data["equality"] or {}).items() if v is not None} or None
    dropped = equality is not None and EQUALITY_MONITORING not in scopes
    return Candidate(
        partner_record_id=data["partner_record_id"],
        fields={
            "submitted_location_id": data["location_id"],
            "service_name": service.get("name"),
            "service_postcode": service.get("postcode"),
            "service_type": data["service_type"],
            "experience_date": day,
            "date_precision": precision,
            "respondent_role": data["respondent_role"],
            "collection_channel": data["collection_channel"],
            "overall_experience": data["overall_experience"],
            "sentiment": data["sentiment"],
            **{name: _unique(data[name]) for name in _LISTS},
            "equality": None if dropped else equality,
        },
        narrative=data["narrative"],
        consent=ConsentTerms(
            scopes=scopes,
            obtained_at=consent["obtained_at"],
            method=consent["method"],
            lawful_basis=normalise_lawful_basis(consent["lawful_basis"]),
            notice_version=consent["notice_version"],
        ),
        concern=bool(guard.get("concern", False)),
        immediate_risk=bool(guard.get("immediate_risk", False)),
        categories=tuple(_unique(guard.get("categories", []))),
        equality_dropped=dropped,
    )


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _after_today(day: date, precision: str, today: date) -> bool:
    if precision == "month":
        return (day.year, day.month) > (today.year, today.month)
    return day > today
