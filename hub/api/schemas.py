"""Schemas shared by every API blueprint."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every API error is answered."""

    class Meta:
        # RFC 9457 lets a problem type add members of its own (`existing_id` below is one).
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"description": "URI naming the problem type."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    code = fields.String(
        required=True, metadata={"description": "Stable slug, e.g. `validation-failed`."}
    )
    request_id = fields.String(allow_none=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Field path (e.g. `records[3].consent.scopes`) to messages."},
    )
    existing_id = fields.String(
        metadata={
            "format": "uuid",
            "description": "With `duplicate-conflict`: the record already stored under that "
            "`partner_record_id`.",
        }
    )


class PageSchema(Schema):
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null at the end."},
    )
