"""The pure rules of the audit chain."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from hub.audit.chain import canonical_json, event_body, event_hash


def _fields(**overrides):
    base = {
        "seq": 1,
        "occurred_at": datetime(2026, 10, 4, 10, 0, 0, 123456, tzinfo=UTC),
        "actor": "client:hub_abc",
        "organisation_id": uuid.UUID("6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90"),
        "action": "experience.created",
        "object_type": "experience",
        "object_id": "x1",
        "outcome": "success",
        "request_id": "r1",
        "ip": "127.0.0.1",
        "details": {"b": 2, "a": "é"},
    }
    base.update(overrides)
    return base


def test_canonical_json_sorts_keys_and_keeps_utf8():
    assert (
        canonical_json({"b": 1, "a": [1, {"d": 2, "c": "é"}]}) == '{"a":[1,{"c":"é","d":2}],"b":1}'
    )


def test_hash_is_sha256_of_prev_hash_and_canonical_body():
    prev = "0" * 64
    body = canonical_json(event_body(_fields()))
    assert event_hash(prev, _fields()) == hashlib.sha256((prev + body).encode()).hexdigest()
    assert '"occurred_at":"2026-10-04T10:00:00.123456Z"' in body


def test_any_change_changes_the_hash():
    prev = "0" * 64
    original = event_hash(prev, _fields())
    assert event_hash(prev, _fields(details={"b": 3, "a": "é"})) != original
    assert event_hash(prev, _fields(seq=2)) != original
    assert event_hash("1" * 64, _fields()) != original
