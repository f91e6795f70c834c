"""``GET /api/v1/insight/locations/{id}``: what people said about one location."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from hub.api.auth import require
from hub.api.docs import problem_doc
from hub.api.locations import LocationSummarySchema, RatingsSchema
from hub.api.safeguarding import SafeguardingAlertSchema
from hub.clock import utcnow
from hub.errors import NotFound
from hub.exchange.insight.location import location_insight
from hub.registry.services import is_location_id
from hub.web import db

blp = Blueprint(
    "insight",
    __name__,
    url_prefix="/api/v1",
    description="What people told partners about a care location, in one place.",
)


class SentimentSplitSchema(Schema):
    positive = fields.Integer()
    mixed = fields.Integer()
    neutral = fields.Integer()
    negative = fields.Integer()


class KeyQuestionCountSchema(SentimentSplitSchema):
    key_question = fields.String()
    count = fields.Integer()
    no_sentiment = fields.Integer(metadata={"description": "Records without a sentiment."})


class MonthSchema(SentimentSplitSchema):
    month = fields.String(metadata={"description": "YYYY-MM of the experience."})
    count = fields.Integer()
    mean_sentiment_score = fields.Float(
        allow_none=True,
        metadata={"description": "-1 to 1; null when fewer than 8 records were scored."},
    )


class ThemeCountSchema(Schema):
    theme = fields.String()
    count = fields.Integer()


class QuoteSchema(Schema):
    experience_id = fields.UUID()
    month = fields.String()
    sentiment = fields.String(allow_none=True)
    key_questions = fields.List(fields.String())
    text = fields.String(metadata={"description": "The narrative with personal details removed."})


class PartnerCountSchema(Schema):
    organisation_id = fields.UUID()
    organisation_name = fields.String(allow_none=True)
    count = fields.Integer()


class LocationInsightSchema(Schema):
    location = fields.Nested(LocationSummarySchema)
    ratings = fields.Nested(RatingsSchema, allow_none=True)
    total = fields.Integer(metadata={"description": "Records held, withdrawn ones excluded."})
    sentiment = fields.Nested(SentimentSplitSchema)
    key_questions = fields.List(fields.Nested(KeyQuestionCountSchema))
    sentiment_over_time = fields.List(fields.Nested(MonthSchema))
    themes = fields.List(fields.Nested(ThemeCountSchema), metadata={"description": "Top 10."})
    safeguarding_alerts = fields.List(
        fields.Nested(SafeguardingAlertSchema), metadata={"description": "Open alerts."}
    )
    quotes = fields.List(fields.Nested(QuoteSchema), metadata={"description": "Up to 20, newest."})
    partners = fields.List(fields.Nested(PartnerCountSchema))
    generated_at = fields.DateTime()


_ALERT_ID = "8c4f2e1a-7b3d-4c5e-9f0a-1b2c3d4e5f60"
_RECORD_ID = "3f6b8d2c-1e4a-4b7c-9d0e-2f1a3b4c5d6e"
_PARTNER_ID = "6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90"
_EXAMPLE: dict[str, Any] = {
    "location": {
        "location_id": "1-545611283",
        "name": "Riverside Ward",
        "provider_id": "1-101641521",
        "postcode": "SW1A 1AA",
        "region": "London",
        "local_authority": "Westminster",
        "registration_status": "Registered",
        "service_types": ["Hospital services for people with mental health needs"],
        "overall_rating": "Requires improvement",
    },
    "ratings": {
        "overall": "Requires improvement",
        "key_questions": {"safe": "Inadequate", "caring": "Good"},
        "report_date": "2025-11-02",
    },
    "total": 12,
    "sentiment": {"positive": 3, "mixed": 1, "neutral": 1, "negative": 7},
    "key_questions": [
        {
            "key_question": "safe",
            "count": 8,
            "positive": 1,
            "mixed": 0,
            "neutral": 0,
            "negative": 7,
            "no_sentiment": 0,
        }
    ],
    "sentiment_over_time": [
        {
            "month": "2026-09",
            "count": 4,
            "positive": 1,
            "mixed": 0,
            "neutral": 0,
            "negative": 3,
            "mean_sentiment_score": None,
        },
        {
            "month": "2026-10",
            "count": 8,
            "positive": 2,
            "mixed": 1,
            "neutral": 1,
            "negative": 4,
            "mean_sentiment_score": -0.3125,
        },
    ],
    "themes": [{"theme": "staff-attitude", "count": 7}],
    "safeguarding_alerts": [
        {
            "id": _ALERT_ID,
            "experience_id": _RECORD_ID,
            "organisation_id": _PARTNER_ID,
            "location_id": "1-545611283",
            "categories": ["neglect"],
            "immediate": False,
            "source": "partner",
            "reasons": [{"category": "neglect", "source": "partner", "words": []}],
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
    ],
    "quotes": [
        {
            "experience_id": _RECORD_ID,
            "month": "2026-10",
            "sentiment": "negative",
            "key_questions": ["safe"],
            "text": "Nobody explained my medication to me or to [PERSON].",
        }
    ],
    "partners": [
        {"organisation_id": _PARTNER_ID, "organisation_name": "Riverside Mind", "count": 12}
    ],
    "generated_at": "2026-10-20T09:00:00+00:00",
}


@blp.route(
    "/insight/locations/<string:location_id>",
    parameters=[
        {
            "in": "path",
            "name": "location_id",
            "description": "Registry id, e.g. `1-545611283`.",
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9-]{0,19}$"},
        }
    ],
)
class LocationInsight(MethodView):
    @require("regulator:read")
    @blp.doc(
        operationId="getLocationInsight",
        description="Everything partners sent about one location: counts by key question with "
        "their sentiment, sentiment by month of the experience, top themes, open safeguarding "
        "alerts, up to 20 recent redacted quotes, the mix of partners, and the location's "
        "published ratings. Withdrawn records are left out. Monthly mean scores over fewer than "
        "8 records are null: too few to be a signal.",
    )
    @blp.response(200, LocationInsightSchema, example=_EXAMPLE)
    @blp.alt_response(
        404,
        **problem_doc(
            "not-found",
            "No such location in the registry.",
            instance="/api/v1/insight/locations/1-000000000",
        ),
    )
    def get(self, location_id: str) -> dict[str, Any]:
        """What people said about one location, across partners."""
        if not is_location_id(location_id):
            raise NotFound("That is not a registry location id.")
        return location_insight(db(), location_id, now=utcnow())
