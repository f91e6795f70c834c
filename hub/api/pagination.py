"""Paged lists in the API: the `limit` and `cursor` arguments, and the page's body.

The cursor itself (an opaque form of a keyset page's next key) is ``hub.keyset``'s.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from hub.keyset import decode_cursor, encode_cursor

__all__ = ["PageArgs", "decode_cursor", "encode_cursor", "page_body"]

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


def page_body(items: list[Any], next_values: list[Any] | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": encode_cursor(next_values) if next_values else None}
