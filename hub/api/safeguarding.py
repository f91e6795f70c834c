"""``/api/v1/safeguarding``: the regulator's escalation queue."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hub.api.auth import require
from hub.api.docs import LIMIT_422, invalid_query_doc, problem_doc
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.api.schemas import PageSchema, SafeguardingReasonSchema
from hub.clock import utcnow
from hub.safeguarding import services
from hub.safeguarding.rules import STATUSES
from hub.web import current_actor, db

blp = Blueprint(
    "safeguarding",
    __name__,
    url_prefix="/api/v1",
    description="Safeguarding alerts raised at intake, for the regulator to act on.",
)


class AlertArgs(PageArgs):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(STATUSES),
        metadata={"description": "Only alerts in this state (default: all, open first)."},
    )


class SafeguardingAlertSchema(Schema):
    id = fields.UUID()
    experience_id = fields.UUID()
    organisation_id = fields.UUID(metadata={"description": "The partner that sent the record."})
    location_id = fields.String(allow_none=True)
    categories = fields.List(fields.String(), metadata={"description": "Care Act 2014 categories."})
    immediate = fields.Boolean(metadata={"description": "Someone may be at risk right now."})
    source = fields.String(metadata={"description": "partner, classifier or partner+classifier."})
    reasons = fields.List(
        fields.Nested(SafeguardingReasonSchema),
        metadata={
            "description": "Why it was raised and why it is immediate: per category, the words "
            "that raised it (identifiers redacted). Empty for alerts raised before reasons were "
            "recorded."
        },
    )
    status = fields.String(metadata={"description": "open, acknowledged or referred."})
    raised_at = fields.DateTime()
    found_late = fields.Boolean(
        metadata={
            "description": "Raised when the record was read again by newer engines (the rescan "
            "job), not when it came in."
        }
    )
    received_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "When the record came in (before raised_at if found late)."},
    )
    due_at = fields.DateTime(
        metadata={"description": "1 hour after raising if immediate, else 24."}
    )
    overdue = fields.Boolean()
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    referred_at = fields.DateTime(allow_none=True)
    referred_by = fields.String(allow_none=True)
    referral_reason = fields.String(allow_none=True)


class SafeguardingAlertPageSchema(PageSchema):
    items = fields.List(fields.Nested(SafeguardingAlertSchema))


class ReferralSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(1, services.MAX_REASON),
        metadata={"description": "Where the concern went and why (e.g. the local authority)."},
    )


_ALERT_EXAMPLE: dict[str, Any] = {
    "id": "8c4f2e1a-7b3d-4c5e-9f0a-1b2c3d4e5f60",
    "experience_id": "3f6b8d2c-1e4a-4b7c-9d0e-2f1a3b4c5d6e",
    "organisation_id": "6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90",
    "location_id": "1-545611283",
    "categories": ["neglect"],
    "immediate": False,
    "source": "partner+classifier",
    "reasons": [
        {"category": "neglect", "source": "partner", "words": []},
        {"category": "neglect", "source": "rule", "words": ["left in a soiled pad all night"]},
        {"category": "neglect", "source": "model", "words": ["nobody came", "call bell"]},
    ],
    "status": "open",
    "raised_at": "2026-10-04T10:02:11+00:00",
    "found_late": False,
    "received_at": "2026-10-04T10:02:11+00:00",
    "due_at": "2026-10-05T10:02:11+00:00",
    "overdue": False,
    "acknowledged_at": None,
    "acknowledged_by": None,
    "referred_at": None,
    "referred_by": None,
    "referral_reason": None,
}
_ACKNOWLEDGED_EXAMPLE: dict[str, Any] = {
    **_ALERT_EXAMPLE,
    "status": "acknowledged",
    "acknowledged_at": "2026-10-04T10:20:00+00:00",
    "acknowledged_by": "client:hub_7c1d4e5f6a7b8c9d0e3f9a2b",
}
_REFERRED_EXAMPLE: dict[str, Any] = {
    **_ACKNOWLEDGED_EXAMPLE,
    "status": "referred",
    "referred_at": "2026-10-04T11:05:00+00:00",
    "referred_by": "client:hub_7c1d4e5f6a7b8c9d0e3f9a2b",
    "referral_reason": "Referred to Exampleshire County Council adult safeguarding team.",
}
_NOT_FOUND = problem_doc(
    "not-found",
    "No such safeguarding alert.",
    instance="/api/v1/safeguarding/alerts/8c4f2e1a-7b3d-4c5e-9f0a-1b2c3d4e5f60",
)


@blp.route("/safeguarding/alerts")
class Alerts(MethodView):
    @require("regulator:read")
    @blp.doc(
        operationId="listSafeguardingAlerts",
        description="Alerts raised at intake, when a partner flags a concern or the hub's "
        "classifier finds one in the narrative. Open alerts come first, soonest due first; an "
        "immediate-risk alert is due an hour after it is raised, any other in 24 hours.",
    )
    @blp.arguments(AlertArgs, location="query")
    @blp.response(
        200, SafeguardingAlertPageSchema, example={"items": [_ALERT_EXAMPLE], "next_cursor": None}
    )
    @blp.alt_response(422, **invalid_query_doc("/api/v1/safeguarding/alerts", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The queue: open alerts first, soonest due first."""
        rows, next_key = services.list_alerts(
            db(),
            current_actor(),
            status=args["status"],
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
        )
        now = utcnow()
        return page_body([services.describe(a, now=now) for a in rows], next_key)


@blp.route("/safeguarding/alerts/<uuid:alert_id>")
class Alert(MethodView):
    @require("regulator:read")
    @blp.doc(
        operationId="getSafeguardingAlert",
        description="One alert, with who acknowledged or referred it and when. The record "
        "behind it is `GET /api/v1/experiences/{experience_id}`.",
    )
    @blp.response(200, SafeguardingAlertSchema, example=_ALERT_EXAMPLE)
    @blp.alt_response(404, **_NOT_FOUND)
    def get(self, alert_id: uuid.UUID) -> dict[str, Any]:
        """One alert."""
        alert = services.get_alert(db(), current_actor(), alert_id)
        return services.describe(alert, now=utcnow())


@blp.route("/safeguarding/alerts/<uuid:alert_id>/acknowledgement")
class Acknowledgement(MethodView):
    @require("regulator:read")
    @blp.doc(
        operationId="acknowledgeSafeguardingAlert",
        description="Someone at the regulator has seen the alert and is acting on it: it leaves "
        "the open part of the queue. Acknowledging again changes nothing.",
    )
    @blp.response(200, SafeguardingAlertSchema, example=_ACKNOWLEDGED_EXAMPLE)
    @blp.alt_response(404, **_NOT_FOUND)
    def post(self, alert_id: uuid.UUID) -> dict[str, Any]:
        """Acknowledge an alert; acknowledging again changes nothing."""
        alert = services.acknowledge(db(), current_actor(), alert_id)
        return services.describe(alert, now=utcnow())


@blp.route("/safeguarding/alerts/<uuid:alert_id>/referral")
class Referral(MethodView):
    @require("regulator:read")
    @blp.doc(
        operationId="referSafeguardingAlert",
        description="Close the alert by saying where the concern went (the local authority's "
        "safeguarding team, the police...). An alert is referred once; referring again returns it "
        "unchanged. The reason stays with the alert and is not copied into the audit log.",
    )
    @blp.arguments(
        ReferralSchema,
        example={"reason": "Referred to Exampleshire County Council adult safeguarding team."},
    )
    @blp.response(200, SafeguardingAlertSchema, example=_REFERRED_EXAMPLE)
    @blp.alt_response(404, **_NOT_FOUND)
    @blp.alt_response(
        422,
        **problem_doc(
            "validation-failed",
            "No reason, or one longer than 2,000 characters.",
            detail="Some fields are not valid.",
            errors={"reason": ["Missing data for required field."]},
        ),
    )
    def post(self, args: dict[str, Any], alert_id: uuid.UUID) -> dict[str, Any]:
        """Record that the concern was referred on (to the local authority, the police...)."""
        alert = services.refer(db(), current_actor(), alert_id, reason=args["reason"])
        return services.describe(alert, now=utcnow())
