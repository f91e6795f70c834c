"""``/api/v1/submissions``: CSV uploads and the state of every inbound exchange."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from hub.api.auth import require
from hub.api.docs import LIMIT_422, invalid_query_doc, problem_doc
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.api.receipts import ReceiptRefSchema
from hub.audit.receipts import submission_receipt, submission_receipts
from hub.errors import UnsupportedMediaType, ValidationFailed
from hub.exchange.csv.progress import described
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import get_submission, submissions_query
from hub.keyset import keyset_page
from hub.tasks.uploads import receive_upload
from hub.web import after_commit, current_actor, db, hub_context

blp = Blueprint(
    "submissions",
    __name__,
    url_prefix="/api/v1",
    description="Inbound exchanges: API calls, batches and CSV files.",
)

EXAMPLE_ID = "3d6f0c2a-9b1e-4c7d-8a5f-2e4b6c8d0f1a"


class RowErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "Spreadsheet row: 2 is the first data row."})
    column = fields.String()
    message = fields.String()


_RECEIPT = fields.Nested(
    ReceiptRefSchema,
    allow_none=True,
    metadata={
        "description": "The exchange's audit receipt: the `submission.completed` event once "
        "the submission is finished, the `submission.created` event while a file is processed. "
        "Verify it offline with `GET /receipts/{audit_seq}` (docs/receipts.md)."
    },
)


class SubmissionSchema(Schema):
    id = fields.String()
    channel = fields.String(metadata={"description": "`api`, `batch` or `csv`."})
    status = fields.String(metadata={"description": "`processing`, `completed` or `failed`."})
    filename = fields.String(allow_none=True)
    submitted_by = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    rows_total = fields.Integer()
    rows_done = fields.Integer()
    accepted = fields.Integer()
    replayed = fields.Integer()
    rejected = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorSchema))
    warnings = fields.List(
        fields.Nested(RowErrorSchema),
        metadata={
            "description": "Rows that were taken with something left out, such as equality "
            "answers without equality-monitoring consent: `{row, column, message}`."
        },
    )
    receipt = _RECEIPT


class SubmissionPageSchema(Schema):
    items = fields.List(fields.Nested(SubmissionSchema))
    next_cursor = fields.String(allow_none=True)


class AcceptedSchema(Schema):
    submission_id = fields.String()
    status = fields.String()


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "The CSV in the portal's template (CONTRACT §5).",
                    }
                },
            },
            "example": {
                "file": "partner_record_id,location_id,service_name,service_postcode,...\n"
                "hw-2026-0001,1-545611283,,,...\n"
            },
        }
    },
}


@blp.route("/submissions/csv")
class CsvUpload(MethodView):
    @require("experiences:write")
    @blp.doc(
        operationId="uploadSubmissionCsv",
        description="Upload a CSV file in the template's columns as the multipart field `file`. "
        "The file is stored before the answer and processed in the background: follow "
        "`GET /submissions/{id}` for progress and row-level errors. The same file uploaded "
        "again by the same organisation, even twice at once, answers 202 with the earlier "
        "submission's id and current status and adds nothing; to send corrections, change the "
        "file. Over 50 MB or 200,000 rows: 413, nothing kept.",
        requestBody=_UPLOAD_BODY,
    )
    @blp.response(
        202, AcceptedSchema, example={"submission_id": EXAMPLE_ID, "status": "processing"}
    )
    @blp.alt_response(
        413,
        **problem_doc(
            "payload-too-large",
            "The file is over the size or row limit; nothing was kept.",
            detail="The file has more than 200,000 rows. Split it into smaller files.",
            instance="/api/v1/submissions/csv",
            errors={"file": ["At most 200,000 rows."]},
        ),
    )
    @blp.alt_response(
        415,
        **problem_doc(
            "unsupported-media-type",
            "The body is not multipart/form-data.",
            detail="Send the file as multipart/form-data in the field 'file'.",
            instance="/api/v1/submissions/csv",
        ),
    )
    @blp.alt_response(
        422,
        **problem_doc(
            "validation-failed",
            "No `file` field in the form.",
            detail="No file was sent.",
            instance="/api/v1/submissions/csv",
            errors={"file": ["Send the CSV in the field 'file'."]},
        ),
    )
    def post(self) -> tuple[dict[str, Any], int]:
        """Upload a CSV file of records for processing in the background."""
        ctx = hub_context()
        settings = ctx.settings
        if request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType("Send the file as multipart/form-data in the field 'file'.")
        # Leave room for the multipart envelope around the file itself.
        request.max_content_length = settings.csv_max_bytes + 64 * 1024
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(
                "No file was sent.", errors={"file": ["Send the CSV in the field 'file'."]}
            )
        submission = receive_upload(
            ctx,
            db(),
            current_actor(),
            upload.stream,
            upload.filename or "upload.csv",
            after_commit=after_commit,
        )
        return {"submission_id": str(submission.id), "status": submission.status}, 202


_SUBMISSION_EXAMPLE = {
    "id": EXAMPLE_ID,
    "channel": "csv",
    "status": "completed",
    "filename": "october-feedback.csv",
    "submitted_by": "user:3f2b1c4d-8e9a-4b7c-9d1e-2a3b4c5d6e7f",
    "created_at": "2026-11-02T10:15:00+00:00",
    "completed_at": "2026-11-02T10:15:42+00:00",
    "rows_total": 120,
    "rows_done": 120,
    "accepted": 117,
    "replayed": 0,
    "rejected": 3,
    "errors": [
        {
            "row": 14,
            "column": "experience_date",
            "message": "'14/12/2027' is in the future. Check it: the day comes first, as "
            "14/09/2026.",
        },
        {
            "row": 27,
            "column": "condition_areas",
            "message": "'Mental Health' is not one of the condition areas. Did you mean "
            "mental-health?",
        },
        {
            "row": 88,
            "column": "themes",
            "message": "'access, waiting times' looks like several values: put ; between them, "
            "as access;waiting-times.",
        },
    ],
    "warnings": [
        {
            "row": 31,
            "column": "consent_equality_monitoring",
            "message": "The equality answers (age_band, sex, ethnic_group, disability) were not "
            "kept, because consent_equality_monitoring is not yes. The rest of the row was taken.",
        }
    ],
    "receipt": {
        "audit_seq": 1841,
        "hash": "9f2c4e1ab37d5f60c8e2a9b4d1f7e3c5a0b6d8f2e4c1a3b5d7f9e0c2a4b6d8f1",
    },
}


@blp.route("/submissions")
class Submissions(MethodView):
    @require("experiences:read", "regulator:read")
    @blp.doc(
        operationId="listSubmissions",
        description="Your organisation's inbound exchanges (the regulator's: everyone's), "
        "newest first, with their status, counts and row-level errors.",
    )
    @blp.arguments(PageArgs, location="query")
    @blp.response(
        200, SubmissionPageSchema, example={"items": [_SUBMISSION_EXAMPLE], "next_cursor": None}
    )
    @blp.alt_response(422, **invalid_query_doc("/api/v1/submissions", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your submissions, newest first."""
        rows, next_key = keyset_page(
            db(),
            submissions_query(current_actor()),
            [Submission.__table__.c.created_at, Submission.__table__.c.id],
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
            descending=True,
        )
        receipts = submission_receipts(db(), [s.id for s in rows])
        items = [{**body, "receipt": receipts.get(body["id"])} for body in described(db(), rows)]
        return page_body(items, next_key)


@blp.route("/submissions/<uuid:submission_id>")
class SubmissionItem(MethodView):
    @require("experiences:read", "regulator:read")
    @blp.doc(
        operationId="getSubmission",
        description="One submission: channel, status, progress (`rows_done` of `rows_total`), "
        "counts and errors as `{row, column, message}`. Another organisation's answers 404.",
    )
    @blp.response(200, SubmissionSchema, example=_SUBMISSION_EXAMPLE)
    @blp.alt_response(
        404,
        **problem_doc(
            "not-found",
            "No such submission, or not the caller's.",
            detail="No such submission.",
            instance=f"/api/v1/submissions/{EXAMPLE_ID}",
        ),
    )
    def get(self, submission_id: uuid.UUID) -> dict[str, Any]:
        """One submission and its progress."""
        submission = get_submission(db(), current_actor(), submission_id)
        [body] = described(db(), [submission])
        return {**body, "receipt": submission_receipt(db(), submission.id)}
