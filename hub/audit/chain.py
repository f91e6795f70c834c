"""Pure rules of the chain: canonical JSON and the hash of one event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

CHAINED_FIELDS = (
    "seq",
    "occurred_at",
    "actor",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "ip",
    "details",
)


def format_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 characters kept as they are."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an event that its hash covers, in the exact form that is hashed."""
    body: dict[str, Any] = {}
    for name in CHAINED_FIELDS:
        value = fields.get(name)
        if isinstance(value, datetime):
            value = format_time(value)
        elif value is not None and name == "organisation_id":
            value = str(value)
        body[name] = value
    return body


def event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """``sha256(prev_hash + canonical_json(event))`` as lowercase hex."""
    payload = prev_hash + canonical_json(event_body(fields))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# The same settings as canonical_json, built once: json.dumps builds an encoder on every call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# canonical_json of an event body: its keys are CHAINED_FIELDS, written in sorted order; fill
# it with each field's JSON in BODY_ORDER.
BODY_TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in sorted(CHAINED_FIELDS)) + "}"
BODY_ORDER = (
    "action", "actor", "details", "ip", "object_id", "object_type", "occurred_at",
    "organisation_id", "outcome", "request_id", "seq",
)  # fmt: skip
if tuple(sorted(CHAINED_FIELDS)) != BODY_ORDER:  # event_json fills BODY_TEMPLATE in this order
    raise RuntimeError("event_json must follow CHAINED_FIELDS")


def _time(value: datetime) -> str:
    if type(value) is datetime and value.year >= 1000:
        # isoformat is the same text for four-digit years and much cheaper than strftime; an
        # offset, if any, follows the first 26 characters (format_time ignores it too).
        return value.isoformat(timespec="microseconds")[:26] + "Z"
    return format_time(value)


def event_details_json(value: Any) -> str:
    """``details`` (or any other field's value) as it appears in the canonical body."""
    return _json(value)


def _json(value: Any) -> str:
    """``value`` in the body's JSON as canonical_json(event_body(...)) writes it."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, datetime):
        return encode_basestring(_time(value))
    return _ENCODER.encode(value)


def event_json(
    seq: Any,
    occurred_at: Any,
    actor: Any,
    organisation_id: Any,
    action: Any,
    object_type: Any,
    object_id: Any,
    outcome: Any,
    request_id: Any,
    ip: Any,
    details: Any,
) -> str:
    """``canonical_json(event_body(fields))`` built straight from the fields (in CHAINED_FIELDS
    order) for the fixed key set: only ``details`` needs a general JSON dump. Checking a chain
    computes this for every event."""
    if organisation_id is not None and not isinstance(organisation_id, datetime):
        organisation_id = str(organisation_id)
    return BODY_TEMPLATE % (
        _json(action),
        _json(actor),
        _json(details),
        _json(ip),
        _json(object_id),
        _json(object_type),
        _json(occurred_at),
        _json(organisation_id),
        _json(outcome),
        _json(request_id),
        _json(seq),
    )
