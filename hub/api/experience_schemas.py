"""Response schemas of the experience endpoints (what the services' JSON-ready answers hold)."""

from __future__ import annotations

from marshmallow import Schema, fields

from hub.api.receipts import ReceiptRefSchema
from hub.api.schemas import PageSchema, SafeguardingReasonSchema


def _id(description: str = "", *, allow_none: bool = False) -> fields.String:
    return fields.String(
        allow_none=allow_none, metadata={"format": "uuid", "description": description}
    )


def _when(description: str = "", *, allow_none: bool = False) -> fields.DateTime:
    return fields.DateTime(allow_none=allow_none, metadata={"description": description})


class ServiceOutSchema(Schema):
    name = fields.String()
    postcode = fields.String(allow_none=True)


class AlertSummarySchema(Schema):
    id = _id()
    status = fields.String(metadata={"description": "open, acknowledged or referred."})
    categories = fields.List(fields.String())
    immediate = fields.Boolean()
    reasons = fields.List(
        fields.Nested(SafeguardingReasonSchema),
        metadata={"description": "Why it was raised: per category, the words (redacted)."},
    )
    raised_at = _when()
    due_at = _when()


class BatchAlertSchema(Schema):
    alert_id = _id()
    categories = fields.List(fields.String())
    immediate = fields.Boolean(metadata={"description": "Someone may be at risk right now."})
    due_at = _when()
    reasons = fields.List(
        fields.Nested(SafeguardingReasonSchema),
        metadata={"description": "Why it was raised: per category, the words (redacted)."},
    )


class SafeguardingOutSchema(Schema):
    concern = fields.Boolean(metadata={"description": "As the partner flagged it."})
    immediate_risk = fields.Boolean()
    categories = fields.List(fields.String())
    alert = fields.Nested(
        AlertSummarySchema,
        allow_none=True,
        metadata={"description": "The alert raised at intake, if any."},
    )


class ConsentOutSchema(Schema):
    scopes = fields.List(fields.String())
    obtained_at = _when(allow_none=True)
    method = fields.String(allow_none=True)
    lawful_basis = fields.String()
    notice_version = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "given or withdrawn."})
    withdrawn_at = _when(allow_none=True)
    receipt_id = _id()


class ConsentReceiptSchema(Schema):
    """A consent receipt after the Kantara Initiative Consent Receipt v1.1."""

    version = fields.String()
    jurisdiction = fields.String()
    consentTimestamp = fields.Integer(metadata={"description": "Unix seconds."})
    collectionMethod = fields.String()
    consentReceiptID = _id()
    language = fields.String()
    piiPrincipalId = fields.String(metadata={"description": "The partner's record id."})
    piiControllers = fields.List(fields.Dict())
    policyUrl = fields.String(allow_none=True)
    services = fields.List(fields.Dict(), metadata={"description": "Purposes consented to."})
    sensitive = fields.Boolean()
    spiCat = fields.List(fields.String())
    lawfulBasis = fields.String()
    experienceId = _id()
    recordedTimestamp = fields.Integer()
    status = fields.String()
    withdrawnTimestamp = fields.Integer(allow_none=True)


class ExperienceBaseSchema(Schema):
    id = _id(allow_none=True)
    partner_record_id = fields.String()
    organisation_id = _id("The submitting partner.")
    submission_id = _id("The submission that created the record.")
    status = fields.String(
        allow_none=True,
        metadata={"description": "accepted, needs_reconciliation or withdrawn."},
    )
    received_at = _when()
    withdrawn_at = _when(allow_none=True)
    location_id = fields.String(
        allow_none=True, metadata={"description": "The current registry location, if matched."}
    )
    submitted_location_id = fields.String(allow_none=True)
    service = fields.Nested(ServiceOutSchema, allow_none=True)
    service_type = fields.String(allow_none=True)
    experience_date = fields.String(metadata={"description": "`YYYY-MM-DD` or `YYYY-MM`."})
    respondent_role = fields.String(allow_none=True)
    collection_channel = fields.String(allow_none=True)
    overall_experience = fields.Integer(allow_none=True)
    key_questions = fields.List(fields.String())
    condition_areas = fields.List(fields.String())
    themes = fields.List(fields.String())
    sentiment = fields.String(allow_none=True, metadata={"description": "The partner's reading."})
    sentiment_score = fields.Float(
        allow_none=True, metadata={"description": "The hub's VADER compound score, -1 to 1."}
    )
    safeguarding = fields.Nested(SafeguardingOutSchema)
    consent = fields.Nested(ConsentOutSchema, allow_none=True)
    possible_duplicate_of = _id(
        "Another partner's earlier record of the same account (regulator only).", allow_none=True
    )
    outcomes = fields.List(fields.Dict(), metadata={"description": '"You said, we did".'})


class ExperienceSchema(ExperienceBaseSchema):
    narrative = fields.String(
        allow_none=True,
        metadata={
            "description": "Raw for the regulator's single-record read (audited); the "
            "redacted copy for everyone else. Null once withdrawn."
        },
    )
    narrative_raw = fields.Boolean(metadata={"description": "Whether `narrative` is the raw text."})
    narrative_redacted = fields.String(allow_none=True)
    redactions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Identifiers redacted, by kind."},
    )
    equality = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)


class IntakeAnswerSchema(ExperienceBaseSchema):
    """The answer to a submission: the record without its narrative, and the consent receipt."""

    outcome = fields.String(metadata={"description": "created or replayed."})
    dry_run = fields.Boolean()
    equality_dropped = fields.Boolean(
        metadata={
            "description": "Equality fields were given without `equality_monitoring` "
            "consent and were dropped, not stored."
        }
    )
    consent_receipt = fields.Nested(ConsentReceiptSchema)


class ExperiencePageSchema(PageSchema):
    items = fields.List(fields.Nested(ExperienceSchema))


class BatchItemSchema(Schema):
    index = fields.Integer()
    partner_record_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "created, replayed or rejected."})
    id = _id()
    record_status = fields.String(metadata={"description": "accepted or needs_reconciliation."})
    equality_dropped = fields.Boolean()
    safeguarding_alert = fields.Boolean()
    safeguarding = fields.Nested(
        BatchAlertSchema,
        allow_none=True,
        metadata={
            "description": "The safeguarding alert this record raised (null if none): its "
            "categories, whether immediate, when due, and why."
        },
    )
    code = fields.String(
        metadata={
            "description": "Why rejected: validation-failed, "
            "consent-required or duplicate-conflict."
        }
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "`records[i].path` → messages."},
    )


class BatchAnswerSchema(Schema):
    submission_id = _id("Null for a dry run.", allow_none=True)
    dry_run = fields.Boolean()
    accepted = fields.Integer(metadata={"description": "Created plus replayed."})
    created = fields.Integer()
    replayed = fields.Integer()
    rejected = fields.Integer()
    results = fields.List(fields.Nested(BatchItemSchema))
    receipt = fields.Nested(
        ReceiptRefSchema,
        allow_none=True,
        metadata={
            "description": "The submission's audit receipt (its `submission.completed` event); "
            "verify it with `GET /receipts/{audit_seq}`. Null for a dry run."
        },
    )
