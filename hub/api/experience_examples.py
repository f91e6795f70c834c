"""Example bodies of the experience endpoints, for the OpenAPI document (shapes as answered)."""

from __future__ import annotations

from typing import Any

from hub.api.docs import problem_example

RECORD_ID = "6b37fa36-578b-4272-ac2b-7b2195f99381"
SUBMISSION_ID = "b8249d1a-df2f-47f7-8c54-667e43cec0c7"
PARTNER_ID = "6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90"
RECEIPT_ID = "4d2153dc-f12a-4596-a0c1-57288540afee"

# CONTRACT §4: the record as a partner sends it.
RECORD_IN: dict[str, Any] = {
    "partner_record_id": "mind-2026-000123",
    "location_id": "1-545611283",
    "service": {"name": "Riverside Ward, St Elsewhere", "postcode": "SW1A 1AA"},
    "service_type": "mental-health-inpatient",
    "experience_date": "2026-10-03",
    "respondent_role": "patient",
    "collection_channel": "online",
    "overall_experience": 4,
    "sentiment": "negative",
    "key_questions": ["safe", "caring"],
    "condition_areas": ["mental-health"],
    "themes": ["staff-attitude", "communication"],
    "narrative": "The staff on the ward were kind but nobody explained my medication.",
    "safeguarding": {"concern": False, "immediate_risk": False, "categories": []},
    "equality": {
        "age_band": "65-74",
        "sex": "female",
        "ethnic_group": "black",
        "disability": "yes",
    },
    "consent": {
        "scopes": ["regulator_use", "publish_anonymised", "feedback", "equality_monitoring"],
        "obtained_at": "2026-10-04T10:00:00Z",
        "method": "online",
        "lawful_basis": "consent",
        "notice_version": "mind-privacy-v3",
    },
}

BATCH_IN: dict[str, Any] = {
    "records": [
        RECORD_IN,
        {
            "partner_record_id": "mind-2026-000124",
            "service": {"name": "Hillside Community Mental Health Team", "postcode": "EX1 2AB"},
            "experience_date": "2026-09",
            "narrative": "I waited eleven weeks for a first appointment.",
            "themes": ["waiting-times"],
            "consent": {"scopes": ["regulator_use"]},
        },
        {
            "partner_record_id": "mind-2026-000125",
            "location_id": "1-545611283",
            "experience_date": "2026-10-01",
            "narrative": "No consent to share with the regulator was recorded.",
            "consent": {"scopes": ["feedback"]},
        },
    ]
}

_CONSENT_OUT: dict[str, Any] = {
    "scopes": ["regulator_use", "publish_anonymised", "feedback", "equality_monitoring"],
    "obtained_at": "2026-10-04T10:00:00+00:00",
    "method": "online",
    "lawful_basis": "consent",
    "notice_version": "mind-privacy-v3",
    "status": "given",
    "withdrawn_at": None,
    "receipt_id": RECEIPT_ID,
}

CONSENT_RECEIPT: dict[str, Any] = {
    "version": "KI-CR-v1.1.0",
    "jurisdiction": "GB",
    "consentTimestamp": 1791108000,
    "collectionMethod": "online",
    "consentReceiptID": RECEIPT_ID,
    "language": "en",
    "piiPrincipalId": "mind-2026-000123",
    "piiControllers": [
        {
            "piiController": "Riverside Mind",
            "contact": "Riverside Mind, which holds the person's contact details",
            "onBehalf": False,
        }
    ],
    "policyUrl": "mind-privacy-v3",
    "services": [
        {
            "service": "Sharing an account of health or social care with the regulator",
            "purposes": [
                {
                    "purpose": "The regulator reads the account to inform how it monitors and "
                    "inspects care.",
                    "purposeCategory": ["regulation of health and social care"],
                    "consentType": "EXPLICIT",
                    "piiCategory": [
                        "account of care (free text)",
                        "service used",
                        "date of experience",
                    ],
                    "primaryPurpose": True,
                    "termination": "Withdraw at any time by asking Riverside Mind. The account "
                    "and any equality details are then erased at once and left out of "
                    "everything published afterwards.",
                    "thirdPartyDisclosure": True,
                    "thirdPartyName": "the health and social care regulator",
                }
            ],
        }
    ],
    "sensitive": True,
    "spiCat": ["health", "racial or ethnic origin"],
    "lawfulBasis": "consent",
    "experienceId": RECORD_ID,
    "recordedTimestamp": 1791108731,
    "status": "given",
    "withdrawnTimestamp": None,
}

_RECORD_BASE: dict[str, Any] = {
    "id": RECORD_ID,
    "partner_record_id": "mind-2026-000123",
    "organisation_id": PARTNER_ID,
    "submission_id": SUBMISSION_ID,
    "status": "accepted",
    "received_at": "2026-10-04T10:12:11.619079+00:00",
    "withdrawn_at": None,
    "location_id": "1-545611283",
    "submitted_location_id": "1-545611283",
    "service": {"name": "Riverside Ward, St Elsewhere", "postcode": "SW1A 1AA"},
    "service_type": "mental-health-inpatient",
    "experience_date": "2026-10-03",
    "respondent_role": "patient",
    "collection_channel": "online",
    "overall_experience": 4,
    "key_questions": ["safe", "caring"],
    "condition_areas": ["mental-health"],
    "themes": ["staff-attitude", "communication"],
    "sentiment": "negative",
    "sentiment_score": 0.296,
    "safeguarding": {"concern": False, "immediate_risk": False, "categories": [], "alert": None},
    "consent": _CONSENT_OUT,
    "possible_duplicate_of": None,
    "outcomes": [],
}

RECORD_OUT: dict[str, Any] = {
    **_RECORD_BASE,
    "narrative": "The staff on the ward were kind but nobody explained my medication.",
    "narrative_raw": False,
    "narrative_redacted": "The staff on the ward were kind but nobody explained my medication.",
    "redactions": {},
    "equality": {
        "age_band": "65-74",
        "sex": "female",
        "ethnic_group": "black",
        "disability": "yes",
    },
}

WITHDRAWN_OUT: dict[str, Any] = {
    **RECORD_OUT,
    "status": "withdrawn",
    "withdrawn_at": "2026-11-02T15:30:00+00:00",
    "consent": {**_CONSENT_OUT, "status": "withdrawn", "withdrawn_at": "2026-11-02T15:30:00+00:00"},
    "narrative": None,
    "narrative_redacted": None,
    "equality": None,
}

INTAKE_ANSWER: dict[str, Any] = {
    **_RECORD_BASE,
    "outcome": "created",
    "dry_run": False,
    "equality_dropped": False,
    "consent_receipt": CONSENT_RECEIPT,
}

DRY_RUN_ANSWER: dict[str, Any] = {
    "dry_run": True,
    "outcome": "created",
    "id": None,
    "partner_record_id": "mind-2026-000123",
    "status": "accepted",
    "equality_dropped": False,
}

BATCH_ANSWER: dict[str, Any] = {
    "submission_id": SUBMISSION_ID,
    "dry_run": False,
    "accepted": 2,
    "created": 2,
    "replayed": 0,
    "rejected": 1,
    "results": [
        {
            "index": 0,
            "partner_record_id": "mind-2026-000123",
            "status": "created",
            "id": RECORD_ID,
            "record_status": "accepted",
            "equality_dropped": False,
            "safeguarding_alert": False,
            "safeguarding": None,
        },
        {
            "index": 1,
            "partner_record_id": "mind-2026-000124",
            "status": "created",
            "id": "0f3c5e7a-9b1d-4f2a-8c4e-6a8b0c2d4e6f",
            "record_status": "needs_reconciliation",
            "equality_dropped": False,
            "safeguarding_alert": True,
            "safeguarding": {
                "alert_id": "8c4f2e1a-7b3d-4c5e-9f0a-1b2c3d4e5f60",
                "categories": ["financial"],
                "immediate": False,
                "due_at": "2026-10-05T10:02:11+00:00",
                "reasons": [
                    {
                        "category": "financial",
                        "source": "rule",
                        "words": ["keeps asking dad to lend him money"],
                    }
                ],
            },
        },
        {
            "index": 2,
            "partner_record_id": "mind-2026-000125",
            "status": "rejected",
            "code": "consent-required",
            "errors": {
                "records[2].consent.scopes": [
                    "Consent must include 'regulator_use': the hub only takes records people "
                    "agreed to share with the regulator."
                ]
            },
        },
    ],
    "receipt": {
        "audit_seq": 1841,
        "hash": "9f2c4e1ab37d5f60c8e2a9b4d1f7e3c5a0b6d8f2e4c1a3b5d7f9e0c2a4b6d8f1",
    },
}

MALFORMED_JSON = problem_example(
    "malformed-json",
    "The body is not valid JSON.",
    instance="/api/v1/experiences",
    title="Request could not be processed",
)
NOT_JSON = problem_example(
    "unsupported-media-type",
    "Send the body as application/json.",
    instance="/api/v1/experiences",
)
NOT_FOUND = problem_example(
    "not-found", "No such experience record.", instance=f"/api/v1/experiences/{RECORD_ID}"
)
DUPLICATE = problem_example(
    "duplicate-conflict",
    "A different record with this partner_record_id was already submitted.",
    instance="/api/v1/experiences",
    errors={
        "partner_record_id": [
            "A different record with this partner_record_id was already submitted."
        ]
    },
    extra={"existing_id": RECORD_ID},
)
INVALID_RECORD: dict[str, dict[str, Any]] = {
    "validation-failed": problem_example(
        "validation-failed",
        "The record is not valid: see errors.",
        instance="/api/v1/experiences",
        errors={"experience_date": ["Must not be in the future."], "bogus": ["Unknown field."]},
    ),
    "consent-required": problem_example(
        "consent-required",
        "Consent must include 'regulator_use': the hub only takes records people agreed to "
        "share with the regulator.",
        instance="/api/v1/experiences",
        errors={"consent.scopes": ["Consent must include 'regulator_use'."]},
    ),
    "idempotency-key-reused": problem_example(
        "idempotency-key-reused",
        "This Idempotency-Key was already used for a different request. Use a new key for a "
        "new request.",
        instance="/api/v1/experiences",
        errors={"Idempotency-Key": ["Already used with a different request body or endpoint."]},
        title="The request is not valid",
    ),
}
INVALID_BATCH = problem_example(
    "validation-failed",
    "The batch is not valid: see errors.",
    instance="/api/v1/experiences/batch",
    errors={"records": ["Give at least one record."]},
)
BATCH_TOO_LARGE = problem_example(
    "payload-too-large",
    "A batch holds at most 1000 records; this one has 1001. Split it.",
    instance="/api/v1/experiences/batch",
    errors={"records": ["At most 1000 records per batch."]},
)
