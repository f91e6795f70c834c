"""``/api/v1/outcomes``: "you said, we did", recorded by the regulator and read by partners."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hub.api.auth import require
from hub.api.docs import LIMIT_422, invalid_query_doc, problem_doc
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.exchange.outcomes import services as outcomes
from hub.exchange.outcomes.models import OUTCOME_KINDS
from hub.web import current_actor, db

blp = Blueprint(
    "outcomes",
    __name__,
    url_prefix="/api/v1",
    description='"You said, we did": what the regulator did with the experiences partners sent.',
)

_RECORD_ID = "0b6e2f4a-7c1d-4e3b-9a8f-5d2c1b0e9f7a"
OUTCOME_EXAMPLE: dict[str, Any] = {
    "id": "3c9d1e7f-2a4b-4c6d-8e0f-1a2b3c4d5e6f",
    "kind": "used-in-inspection",
    "summary": "People's accounts of how medicines were explained on the ward shaped the "
    "questions inspectors asked at the inspection in March.",
    "location_id": "1-545611283",
    "report_url": "https://www.example.org/location/1-545611283/reports",
    "occurred_on": "2026-03-14",
    "record_ids": [_RECORD_ID],
    "created_at": "2026-03-20T09:30:00+00:00",
}


class OutcomeInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(OUTCOME_KINDS))
    summary = fields.String(
        required=True,
        validate=validate.Length(1, 5000),
        metadata={"description": "In plain English: partners may relay it to the person."},
    )
    location_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 20),
        metadata={"description": "A registry location, or null."},
    )
    record_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(1, outcomes.MAX_RECORDS),
        metadata={"description": "The experience records the outcome drew on."},
    )
    report_url = fields.URL(
        load_default=None,
        allow_none=True,
        schemes={"https", "http"},
        validate=validate.Length(max=2000),
    )
    occurred_on = fields.Date(
        required=True, metadata={"description": "The day it was done: today or before."}
    )


class OutcomeSchema(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"description": ", ".join(OUTCOME_KINDS)})
    summary = fields.String()
    location_id = fields.String(allow_none=True)
    report_url = fields.String(allow_none=True)
    occurred_on = fields.Date()
    record_ids = fields.List(
        fields.UUID(),
        metadata={"description": "The linked records the caller may see: a partner, only its own."},
    )
    created_at = fields.DateTime()


class OutcomePageSchema(Schema):
    items = fields.List(fields.Nested(OutcomeSchema))
    next_cursor = fields.String(allow_none=True)


class OutcomeListSchema(Schema):
    items = fields.List(fields.Nested(OutcomeSchema))


class OutcomeListArgs(PageArgs):
    kind = fields.String(load_default=None, validate=validate.OneOf(OUTCOME_KINDS))
    location_id = fields.String(load_default=None, validate=validate.Length(1, 20))


_NOT_FOUND = problem_doc(
    "not-found",
    "No such record, or not the caller's.",
    detail="No such experience record.",
    instance=f"/api/v1/experiences/{_RECORD_ID}/outcomes",
)


@blp.route("/outcomes")
class Outcomes(MethodView):
    @require("experiences:read", "regulator:read")
    @blp.doc(
        operationId="listOutcomes",
        description="Outcomes touching the caller's records, newest first. A partner sees an "
        "outcome only through its own records whose consent includes `feedback` (and is not "
        "withdrawn), and `record_ids` then lists only those; the regulator sees every outcome.",
    )
    @blp.arguments(OutcomeListArgs, location="query")
    @blp.response(200, OutcomePageSchema, example={"items": [OUTCOME_EXAMPLE], "next_cursor": None})
    @blp.alt_response(422, **invalid_query_doc("/api/v1/outcomes", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Outcomes on your records that people agreed to hear about (the regulator's: all)."""
        items, next_key = outcomes.list_outcomes(
            db(),
            current_actor(),
            kind=args["kind"],
            location_id=args["location_id"],
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
        )
        return page_body(items, next_key)

    @require("outcomes:write")
    @blp.doc(
        operationId="createOutcome",
        description="Record what the regulator did with some records. Every record id must "
        "exist and the location, if given, must be in the registry (422 names what is not). "
        "Each partner whose records are linked with `feedback` consent is sent "
        "`outcome.created`, naming only its own records.",
    )
    @blp.arguments(
        OutcomeInSchema,
        example={k: v for k, v in OUTCOME_EXAMPLE.items() if k not in {"id", "created_at"}},
    )
    @blp.response(201, OutcomeSchema, example=OUTCOME_EXAMPLE)
    @blp.alt_response(
        422,
        **problem_doc(
            "validation-failed",
            "The outcome is not valid; `errors` names the fields.",
            detail="The outcome is not valid.",
            instance="/api/v1/outcomes",
            errors={"record_ids": [f"No such records: {_RECORD_ID}."]},
        ),
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Record a "you said, we did" outcome against experience records."""
        created = outcomes.create_outcome(
            db(),
            current_actor(),
            kind=body["kind"],
            summary=body["summary"],
            location_id=body["location_id"],
            record_ids=body["record_ids"],
            report_url=body["report_url"],
            occurred_on=body["occurred_on"],
        )
        return created


@blp.route("/experiences/<uuid:experience_id>/outcomes")
class ExperienceOutcomes(MethodView):
    @require("experiences:read", "regulator:read")
    @blp.doc(
        operationId="listExperienceOutcomes",
        description="The outcomes linked to one record, newest first. The partner sees them "
        "only while the record's consent includes `feedback`; another partner's record is 404.",
    )
    @blp.response(200, OutcomeListSchema, example={"items": [OUTCOME_EXAMPLE]})
    @blp.alt_response(404, **_NOT_FOUND)
    def get(self, experience_id: uuid.UUID) -> dict[str, Any]:
        """The "you said, we did" outcomes linked to one of your records."""
        return {"items": outcomes.outcomes_for_record(db(), current_actor(), experience_id)}
