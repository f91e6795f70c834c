"""Consent receipts shaped after the Kantara Initiative Consent Receipt v1.1 (pure rules)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.consent.rules import (
    EQUALITY_MONITORING,
    FEEDBACK,
    PUBLISH_ANONYMISED,
    REGULATOR_USE,
    WITHDRAWN,
)

VERSION = "KI-CR-v1.1.0"
SERVICE = "Sharing an account of health or social care with the regulator"

_PURPOSES: dict[str, dict[str, Any]] = {
    REGULATOR_USE: {
        "purpose": "The regulator reads the account to inform how it monitors and inspects care.",
        "purposeCategory": ["regulation of health and social care"],
        "piiCategory": ["account of care (free text)", "service used", "date of experience"],
        "primaryPurpose": True,
        "thirdPartyDisclosure": True,
        "thirdPartyName": "the health and social care regulator",
    },
    PUBLISH_ANONYMISED: {
        "purpose": "The account may count in anonymised statistics and appear as a quote with "
        "identifying details removed.",
        "purposeCategory": ["statistics", "publication of anonymised information"],
        "piiCategory": ["account of care (redacted)", "service used", "month of experience"],
        "primaryPurpose": False,
        "thirdPartyDisclosure": True,
        "thirdPartyName": "partners entitled to the pooled anonymised datasets",
    },
    FEEDBACK: {
        "purpose": "What the regulator did with the account may be passed back to the person "
        "through the partner, who holds their contact details.",
        "purposeCategory": ["feedback"],
        "piiCategory": ["outcomes linked to the account"],
        "primaryPurpose": False,
        "thirdPartyDisclosure": False,
    },
    EQUALITY_MONITORING: {
        "purpose": "Equality details are kept to check that every community is heard.",
        "purposeCategory": ["equality monitoring"],
        "piiCategory": ["age band", "sex", "ethnic group", "disability"],
        "primaryPurpose": False,
        "thirdPartyDisclosure": False,
    },
}


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    """Everything a receipt states, gathered by the caller."""

    receipt_id: uuid.UUID
    experience_id: uuid.UUID
    partner_record_id: str
    partner_name: str
    scopes: tuple[str, ...]
    lawful_basis: str
    method: str | None
    notice_version: str | None
    obtained_at: datetime | None
    recorded_at: datetime
    status: str
    withdrawn_at: datetime | None


def _epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


def build_receipt(facts: ReceiptFacts) -> dict[str, Any]:
    """The receipt as JSON-ready data; the same facts always give the same receipt."""
    termination = (
        f"Withdraw at any time by asking {facts.partner_name}. The account and any equality "
        "details are then erased at once and left out of everything published afterwards."
    )
    consent_type = "EXPLICIT" if facts.lawful_basis in ("consent", "explicit-consent") else "N/A"
    purposes = [
        {**_PURPOSES[scope], "consentType": consent_type, "termination": termination}
        for scope in _PURPOSES
        if scope in facts.scopes
    ]
    spi = ["health"]
    if EQUALITY_MONITORING in facts.scopes:
        spi += ["racial or ethnic origin"]
    moment = facts.obtained_at or facts.recorded_at
    receipt: dict[str, Any] = {
        "version": VERSION,
        "jurisdiction": "GB",
        "consentTimestamp": _epoch(moment),
        "collectionMethod": facts.method or "not stated",
        "consentReceiptID": str(facts.receipt_id),
        "language": "en",
        "piiPrincipalId": facts.partner_record_id,
        "piiControllers": [
            {
                "piiController": facts.partner_name,
                "onBehalf": False,
                "contact": f"{facts.partner_name}, which holds the person's contact details",
            },
        ],
        "policyUrl": facts.notice_version,
        "services": [{"service": SERVICE, "purposes": purposes}],
        "sensitive": True,
        "spiCat": spi,
        # Extensions beyond Kantara v1.1: the state of the consent as the hub holds it.
        "lawfulBasis": facts.lawful_basis,
        "experienceId": str(facts.experience_id),
        "recordedTimestamp": _epoch(facts.recorded_at),
        "status": facts.status,
        "withdrawnTimestamp": _epoch(facts.withdrawn_at)
        if facts.status == WITHDRAWN and facts.withdrawn_at
        else None,
    }
    return receipt
