"""``/api/v1/experiences``: partners submit, read and withdraw experience records."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hub.api import experience_examples as ex
from hub.api.auth import require
from hub.api.bodies import json_body
from hub.api.docs import LIMIT_422, invalid_query_doc, problem_doc, problems_doc
from hub.api.experience_answers import batch_body, one_body
from hub.api.experience_schemas import (
    BatchAnswerSchema,
    ConsentReceiptSchema,
    ExperiencePageSchema,
    ExperienceSchema,
    IntakeAnswerSchema,
)
from hub.api.idempotency import HEADER, Answer, answer_once, request_digest
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.api.problems import PROBLEM_JSON
from hub.api.schemas import ProblemSchema
from hub.audit.receipts import submission_receipt
from hub.clock import utcnow
from hub.exchange.outcomes import services as outcomes
from hub.exchange.records import access as records
from hub.exchange.records import intake, withdrawal
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.items import CREATED
from hub.exchange.records.models import RECORD_STATUSES
from hub.exchange.records.schemas import BatchInSchema, ExperienceInSchema
from hub.exchange.records.submissions import submitter
from hub.web import current_actor, db, hub_context

blp = Blueprint(
    "experiences",
    __name__,
    url_prefix="/api/v1",
    description="Consented experience records: submit (singly or in batches), read, withdraw.",
)


class IntakeHeaders(Schema):
    idempotency_key = fields.String(
        data_key=HEADER,
        load_default=None,
        validate=validate.Length(1, 255),
        metadata={
            "description": "Retry safely: the same key with the same body replays the first "
            "answer; with a different body it is refused (422 `idempotency-key-reused`)."
        },
    )


def _body(schema: type[Schema], example: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": schema, "example": example}},
    }


_MALFORMED = {
    "schema": ProblemSchema,
    "content_type": PROBLEM_JSON,
    "description": "The body is not valid JSON.",
    "example": ex.MALFORMED_JSON,
}
_NOT_JSON = problem_doc(
    "unsupported-media-type", "The body is not application/json.", detail=ex.NOT_JSON["detail"]
)
_NOT_FOUND = problem_doc(
    "not-found",
    "No such record, or not the caller's.",
    detail=ex.NOT_FOUND["detail"],
    instance=ex.NOT_FOUND["instance"],
)


class DryRunArgs(Schema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "Validate and answer as if submitting; store nothing."},
    )


class ExperienceListArgs(PageArgs):
    since = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "Only records received at or after this time (ISO 8601)."},
    )
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(RECORD_STATUSES),
        metadata={"enum_component": "RecordStatus"},
    )
    location_id = fields.String(
        load_default=None,
        validate=validate.Length(1, 20),
        metadata={"description": "The registry location (current or as submitted)."},
    )


def _config() -> IntakeConfig:
    ctx = hub_context()
    return IntakeConfig.from_settings(ctx.settings, ctx.secret_key)


# The endpoints an Idempotency-Key is kept for (stored with each kept answer).
SINGLE = "experiences"
# One instance for every request: building it (and its nested schemas) was ~8 % of a POST's CPU.
_INTAKE_ANSWER = IntakeAnswerSchema()
BATCH = "experiences/batch"


def _once(endpoint: str, payload: Any, key: str | None, dry_run: bool, answer: Any) -> Answer:
    """The answer, kept under the request's Idempotency-Key (and replayed for a retry)."""
    actor, now = current_actor(), utcnow()
    organisation_id = submitter(db(), actor, now.date())
    config = _config()
    return answer_once(
        db(),
        organisation_id,
        key,
        endpoint=endpoint,
        digest=request_digest(config.digest_key, endpoint, payload),
        answer=answer,
        now=now,
        replay=not dry_run,
    )


@blp.route("/experiences")
class Experiences(MethodView):
    @require("experiences:read", "regulator:read")
    @blp.doc(
        operationId="listExperiences",
        description="A partner sees its own records, the regulator everyone's, oldest first. "
        "Everyone but the regulator gets the redacted narrative. Filter by the time a record was "
        "received (`since`), its `status` or its location.",
    )
    @blp.arguments(ExperienceListArgs, location="query")
    @blp.response(
        200, ExperiencePageSchema, example={"items": [ex.RECORD_OUT], "next_cursor": None}
    )
    @blp.alt_response(422, **invalid_query_doc("/api/v1/experiences", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your organisation's records (the regulator's: everyone's), oldest first."""
        items, next_key = records.list_records(
            db(),
            current_actor(),
            since=args["since"],
            status=args["status"],
            location_id=args["location_id"],
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
        )
        return page_body(items, next_key)

    @require("experiences:write")
    @blp.arguments(DryRunArgs, location="query")
    @blp.arguments(IntakeHeaders, location="headers")
    @blp.doc(
        operationId="submitExperience",
        description="One consented account of care. It is validated, matched to the registry "
        "(an unknown `location_id`, or only `service`, gives status `needs_reconciliation`), "
        "scored for sentiment, redacted and checked for safeguarding, which raises an alert in "
        "the same request. Sending the same record again is safe: an identical replay answers "
        "200 with the stored record; a different record under the same `partner_record_id` is "
        "refused (409). `?dry_run=true` checks everything and stores nothing.",
        requestBody=_body(ExperienceInSchema, ex.RECORD_IN),
    )
    @blp.response(
        201,
        IntakeAnswerSchema,
        description="Stored.",
        example=ex.INTAKE_ANSWER,
        headers={"Location": {"description": "The record's URL.", "schema": {"type": "string"}}},
    )
    @blp.alt_response(
        200,
        schema=IntakeAnswerSchema,
        description="An identical replay, or a dry run's verdict.",
        examples={
            "replayed": {
                "summary": "The same record again",
                "value": {**ex.INTAKE_ANSWER, "outcome": "replayed"},
            },
            "dry-run": {"summary": "?dry_run=true", "value": ex.DRY_RUN_ANSWER},
        },
    )
    @blp.alt_response(400, **_MALFORMED)
    @blp.alt_response(
        409,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="A different record has this partner_record_id; `existing_id` names it.",
        example=ex.DUPLICATE,
    )
    @blp.alt_response(415, **_NOT_JSON)
    @blp.alt_response(
        422,
        **problems_doc(
            "Not valid (`errors` names each field), consent lacks `regulator_use`, or the "
            "Idempotency-Key was used for another request.",
            ex.INVALID_RECORD,
        ),
    )
    def post(self, args: dict[str, Any], headers: dict[str, Any]) -> Response:
        """Submit one record: 201 when stored, 200 for an identical replay."""
        payload = json_body()

        def submit() -> Answer:
            answer = intake.submit_one(
                db(), current_actor(), payload, config=_config(), dry_run=args["dry_run"]
            )
            body = _INTAKE_ANSWER.dump(one_body(answer))
            if answer.record is None:
                return Answer(200, body, {})
            created = answer.result.status == CREATED
            location = {"Location": f"/api/v1/experiences/{answer.result.id}"}
            return Answer(201 if created else 200, body, location)

        answer = _once(SINGLE, payload, headers["idempotency_key"], args["dry_run"], submit)
        response = jsonify(answer.body)
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        return response


@blp.route("/experiences/batch")
class ExperienceBatch(MethodView):
    @require("experiences:write")
    @blp.arguments(DryRunArgs, location="query")
    @blp.arguments(IntakeHeaders, location="headers")
    @blp.doc(
        operationId="submitExperienceBatch",
        description="Up to 1,000 records in one request, each checked as `POST /experiences` "
        "checks one. Valid records are kept even when others are rejected: `results` has one "
        "entry per record, in order, with its `status` (`created`, `replayed` or `rejected`) "
        "and, when rejected, a `code` and `errors` keyed by `records[i].field`. The whole batch "
        "is one submission (an inbound exchange).",
        requestBody=_body(BatchInSchema, ex.BATCH_IN),
    )
    @blp.response(200, BatchAnswerSchema, example=ex.BATCH_ANSWER)
    @blp.alt_response(400, **_MALFORMED)
    @blp.alt_response(
        413,
        **problem_doc(
            "payload-too-large",
            "More records than one batch may hold; nothing was kept.",
            detail=ex.BATCH_TOO_LARGE["detail"],
            instance="/api/v1/experiences/batch",
            errors=ex.BATCH_TOO_LARGE["errors"],
        ),
    )
    @blp.alt_response(415, **_NOT_JSON)
    @blp.alt_response(
        422,
        **problem_doc(
            "validation-failed",
            'The body is not `{"records": [...]}` with at least one record, or the '
            "Idempotency-Key was used for another request.",
            detail=ex.INVALID_BATCH["detail"],
            instance="/api/v1/experiences/batch",
            errors=ex.INVALID_BATCH["errors"],
        ),
    )
    def post(
        self, args: dict[str, Any], headers: dict[str, Any]
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Submit up to 1,000 records; valid ones are kept whatever happens to the others."""
        payload = json_body()

        def submit() -> Answer:
            answer = intake.submit_batch(
                db(), current_actor(), payload, config=_config(), dry_run=args["dry_run"]
            )
            body = batch_body(answer.submission_id, answer.results, dry=args["dry_run"])
            return Answer(200, body, {})

        answer = _once(BATCH, payload, headers["idempotency_key"], args["dry_run"], submit)
        submission_id = answer.body.get("submission_id")
        # The receipt is the submission's closing audit event, chained in this transaction.
        receipt = submission_receipt(db(), submission_id) if submission_id else None
        return {**answer.body, "receipt": receipt}, answer.status_code, answer.headers


@blp.route("/experiences/<uuid:experience_id>")
class Experience(MethodView):
    @require("experiences:read", "regulator:read")
    @blp.doc(
        operationId="getExperience",
        description="One record with its status, consent, the hub's sentiment score, "
        "safeguarding and the outcomes linked to it. The regulator reads the raw narrative "
        "(and that read is audited); everyone else, the submitting partner included, the "
        "redacted copy. Another partner's record answers 404.",
    )
    @blp.response(200, ExperienceSchema, example=ex.RECORD_OUT)
    @blp.alt_response(404, **_NOT_FOUND)
    def get(self, experience_id: uuid.UUID) -> dict[str, Any]:
        """One record: status, consent, sentiment, safeguarding and outcomes."""
        body = records.get_record(db(), current_actor(), experience_id)
        body["outcomes"] = outcomes.outcomes_linked(db(), current_actor(), experience_id)
        return body


@blp.route("/experiences/<uuid:experience_id>/consent-receipt")
class ExperienceConsentReceipt(MethodView):
    @require("experiences:read", "experiences:write", "regulator:read")
    @blp.doc(
        operationId="getConsentReceipt",
        description="The record's consent as a Kantara Consent Receipt (v1.1): who controls "
        "the data, each purpose the person agreed to, and whether consent still stands.",
    )
    @blp.response(200, ConsentReceiptSchema, example=ex.CONSENT_RECEIPT)
    @blp.alt_response(404, **_NOT_FOUND)
    def get(self, experience_id: uuid.UUID) -> dict[str, Any]:
        """The record's consent receipt, as it stands now."""
        return records.consent_receipt(db(), current_actor(), experience_id)


@blp.route("/experiences/<uuid:experience_id>/withdrawal")
class ExperienceWithdrawal(MethodView):
    @require("experiences:write")
    @blp.doc(
        operationId="withdrawConsent",
        description="The person withdrew consent: the narrative and equality data are erased in "
        "this request, the record is left out of every later release, and recipients holding "
        "it are told. A tombstone (ids, dates) stays for the ledger and the audit. Withdrawing "
        "again answers the same.",
    )
    @blp.response(200, ExperienceSchema, example=ex.WITHDRAWN_OUT)
    @blp.alt_response(404, **_NOT_FOUND)
    def post(self, experience_id: uuid.UUID) -> dict[str, Any]:
        """Consent withdrawn: the narrative and equality data are erased at once. Idempotent."""
        return withdrawal.withdraw_record(db(), current_actor(), experience_id)
