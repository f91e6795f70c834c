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


class SafeguardingReasonSchema(Schema):
    """Why a safeguarding alert was raised: one category and the words that raised it."""

    category = fields.String(
        metadata={
            "description": "A safeguarding category, `immediate` (what made it urgent) or "
            "`concern` (a concern that names no category)."
        }
    )
    source = fields.String(
        metadata={
            "description": "`rule` (a sign of abuse, neglect or risk matched these words), "
            "`model` (these words weighed most in the statistical model) or `partner` (the "
            "partner flagged it; no words)."
        }
    )
    words = fields.List(
        fields.String(),
        metadata={
            "description": "The words of the account, as written, with identifiers replaced as "
            "in the redacted narrative (e.g. `[NAME]`)."
        },
    )
