"""Keyset pagination over a SELECT (stable under inserts, cheap on large tables), and the opaque
cursor that carries a page's next key to the API and the portal."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hub.errors import ValidationFailed

INT64 = 2**63  # the databases' widest integer: a key beyond it names nothing
MAX_KEY_CHARS = 200  # longer than any key this API gives out (times, uuids, slugs, seqs)


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not one this API gave out.", errors={"cursor": ["Invalid cursor."]}
    )


def _coerce(column: ColumnElement[Any], value: Any) -> Any:
    """A cursor's value as the key column's type; anything else is an invalid cursor (422),
    never a database error."""
    col_type = column.type
    if isinstance(col_type, sa.types.TypeDecorator):
        # A TypeDecorator (UTCDateTime) names no python_type itself; its implementation does.
        col_type = col_type.impl_instance
    try:
        kind = col_type.python_type
    except NotImplementedError:
        kind = None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid_cursor()
    try:
        if kind is int:
            number = int(value)
            if not -INT64 <= number < INT64:
                raise invalid_cursor()
            return number
        if not isinstance(value, str):
            raise invalid_cursor()
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        if kind is uuid.UUID:
            return uuid.UUID(value)
    except (ValueError, TypeError) as exc:
        raise invalid_cursor() from exc
    return value


def _key_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def keyset_page(
    session: Session,
    stmt: sa.Select[Any],
    keys: list[ColumnElement[Any]],
    *,
    limit: int,
    after: list[Any] | None,
    descending: bool = False,
) -> tuple[list[Any], list[Any] | None]:
    """One page of ``stmt`` ordered by ``keys`` (the last must be unique), and the next key."""
    if after is not None:
        if len(after) != len(keys):
            raise ValidationFailed(
                "The cursor is not one this API gave out.", errors={"cursor": ["Invalid cursor."]}
            )
        values = [_coerce(col, v) for col, v in zip(keys, after, strict=True)]
        left, right = sa.tuple_(*keys), sa.tuple_(*values)
        stmt = stmt.where(left < right if descending else left > right)
    order = [k.desc() if descending else k.asc() for k in keys]
    rows: list[Any] = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    next_key = [_key_value(getattr(last, str(col.key))) for col in keys]
    return rows, next_key


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The values of a cursor this API gave out: a short list of short strings and integers.
    Anything else (nested lists, objects, NUL bytes, huge numbers) is 422 ``validation-failed``."""
    if not cursor:
        return None
    if len(cursor) > 4 * MAX_KEY_CHARS:
        raise invalid_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid_cursor() from exc
    if not isinstance(values, list) or not values or len(values) > 4:
        raise invalid_cursor()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise invalid_cursor()
        if isinstance(value, int) and not -INT64 <= value < INT64:
            raise invalid_cursor()
        if isinstance(value, str) and (len(value) > MAX_KEY_CHARS or "\x00" in value):
            raise invalid_cursor()
    return values
