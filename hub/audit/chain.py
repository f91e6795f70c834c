"""Pure rules of the chain: canonical JSON and the hash of one event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
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
