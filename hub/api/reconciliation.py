"""``GET /api/v1/reconciliation/reports``: what the reconcile job found, for each partner."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from hub.api.auth import require
from hub.api.docs import LIMIT_422, invalid_query_doc
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.api.schemas import PageSchema
from hub.exchange.insight.reconciliation import list_reports
from hub.web import current_actor, db

blp = Blueprint(
    "reconciliation",
    __name__,
    url_prefix="/api/v1",
    description="Reconciliation reports: unmatched records, submission counts, duplicates.",
)


class ReportArgs(PageArgs):
    organisation_id = fields.UUID(
        load_default=None,
        metadata={"description": "The regulator: one partner's reports (default: all)."},
    )


class ReportSchema(Schema):
    id = fields.UUID()
    organisation_id = fields.UUID()
    period = fields.Date(metadata={"description": "The UTC day the report covers up to."})
    created_at = fields.DateTime()
    body = fields.Dict(
        metadata={
            "description": "`submissions` (declared against accepted, rejected and replayed, "
            "and those that differ), `records` (by status; those waiting with candidate "
            "locations), `duplicates` (your records that look like another partner's)."
        }
    )


class ReportPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReportSchema))


_EXAMPLE = {
    "id": "2d7c1f0a-8e3b-4c6d-9a1e-5f4b3c2d1e0f",
    "organisation_id": "6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90",
    "period": "2026-11-02",
    "created_at": "2026-11-02T02:00:01+00:00",
    "body": {
        "period": "2026-11-02",
        "generated_at": "2026-11-02T02:00:01+00:00",
        "submissions": {
            "checked": 14,
            "declared": 1200,
            "accepted": 1188,
            "rejected": 10,
            "replayed": 0,
            "mismatched": [
                {
                    "submission_id": "9b2e4c1d-7a3f-4e5b-8c6d-0f1a2b3c4d5e",
                    "declared": 100,
                    "accepted": 97,
                    "rejected": 1,
                    "replayed": 0,
                }
            ],
            "mismatched_count": 1,
        },
        "records": {
            "by_status": {"accepted": 1180, "needs_reconciliation": 1, "withdrawn": 7},
            "waiting": [
                {
                    "experience_id": "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d",
                    "partner_record_id": "mind-2026-00417",
                    "candidates": [{"location_id": "1-118743215", "score": 0.81}],
                }
            ],
        },
        "duplicates": [
            {
                "experience_ids": ["7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b"],
                "other_partners": 1,
                "other_records": 1,
            }
        ],
    },
}


@blp.route("/reconciliation/reports")
class Reports(MethodView):
    @require("experiences:read", "regulator:read")
    @blp.doc(
        operationId="listReconciliationReports",
        description="The reconcile job's daily report per partner, newest first. A partner "
        "sees only its own; the regulator sees every partner's, or one with "
        "`organisation_id`. Reports hold ids and counts only.",
    )
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200, ReportPageSchema, example={"items": [_EXAMPLE], "next_cursor": None})
    @blp.alt_response(422, **invalid_query_doc("/api/v1/reconciliation/reports", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Reconciliation reports, newest first."""
        rows, next_key = list_reports(
            db(),
            current_actor(),
            organisation_id=args["organisation_id"],
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
        )
        items = [
            {
                "id": r.id,
                "organisation_id": r.organisation_id,
                "period": r.period,
                "created_at": r.created_at,
                "body": r.body,
            }
            for r in rows
        ]
        return page_body(items, next_key)
