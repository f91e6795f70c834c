"""Cursor pagination: an opaque cursor over a stable (sort key, id) order."""

from __future__ import annotations

import base64
import json
from typing import Any

from marshmallow import Schema, fields, validate

from hub.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageArgs(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (1 to {MAX_LIMIT}, default {DEFAULT_LIMIT})."},
    )
    cursor = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "The `next_cursor` of the previous page."},
    )


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not one this API gave out.", errors={"cursor": ["Invalid cursor."]}
        ) from exc
    if not isinstance(values, list):
        raise ValidationFailed(
            "The cursor is not one this API gave out.", errors={"cursor": ["Invalid cursor."]}
        )
    return values


def page_body(items: list[Any], next_values: list[Any] | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": encode_cursor(next_values) if next_values else None}
