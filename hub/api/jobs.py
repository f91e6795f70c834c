"""``GET /api/v1/jobs/runs``: the record of scheduled job runs."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hub.api.auth import require
from hub.api.docs import LIMIT_422, invalid_query_doc
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.api.schemas import PageSchema
from hub.jobs.history import list_runs
from hub.web import db

blp = Blueprint(
    "jobs", __name__, url_prefix="/api/v1", description="Scheduled jobs and their runs."
)


class JobRunArgs(PageArgs):
    job = fields.String(
        load_default=None,
        validate=validate.Length(max=60),
        metadata={"description": "Only this job's runs: reconcile, anonymise, audit-seal, ..."},
    )


class JobRunSchema(Schema):
    id = fields.UUID()
    job = fields.String()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"description": "running, succeeded, failed or skipped."})
    stats = fields.Dict(metadata={"description": "What the run did: counts and ids."})
    error = fields.String(allow_none=True, metadata={"description": "Why a run failed."})
    host = fields.String(allow_none=True)
    pid = fields.Integer(allow_none=True)


class JobRunPageSchema(PageSchema):
    items = fields.List(fields.Nested(JobRunSchema))


_EXAMPLE = {
    "id": "0b6f9a52-4f1e-4c55-9d0e-7a8b1c2d3e4f",
    "job": "audit-seal",
    "started_at": "2026-11-02T10:00:00.120000+00:00",
    "finished_at": "2026-11-02T10:00:01.480000+00:00",
    "status": "succeeded",
    "stats": {"events": 1840, "seals_checked": 23, "adopted": 0, "sealed_upto_seq": 1840},
    "error": None,
    "host": "scheduler-1",
    "pid": 4121,
}


@blp.route("/jobs/runs")
class JobRuns(MethodView):
    @require("audit:read")
    @blp.doc(
        operationId="listJobRuns",
        description="Every run of the scheduled jobs (`reconcile`, `anonymise`, `audit-seal`, "
        "`webhooks`), newest first, with what each did (`stats`) and why a failed run failed. "
        "`skipped` means another scheduler held the job's lock.",
    )
    @blp.arguments(JobRunArgs, location="query")
    @blp.response(200, JobRunPageSchema, example={"items": [_EXAMPLE], "next_cursor": None})
    @blp.alt_response(422, **invalid_query_doc("/api/v1/jobs/runs", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Job runs, newest first: job, times, status, stats and any error."""
        rows, next_key = list_runs(
            db(), job=args["job"], limit=args["limit"], after=decode_cursor(args["cursor"])
        )
        return page_body([run.to_dict() for run in rows], next_key)
