"""Consent receipts say what the person agreed to, in Kantara's shape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hub.consent.receipts import ReceiptFacts, build_receipt

RECORDED = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
OBTAINED = datetime(2026, 10, 4, 10, 0, tzinfo=UTC)


def facts(**changes):
    base = dict(
        receipt_id=uuid.UUID(int=1),
        experience_id=uuid.UUID(int=2),
        partner_record_id="mind-2026-000123",
        partner_name="Riverside Mind",
        scopes=("regulator_use", "feedback"),
        lawful_basis="consent",
        method="online",
        notice_version="mind-privacy-v3",
        obtained_at=OBTAINED,
        recorded_at=RECORDED,
        status="given",
        withdrawn_at=None,
    )
    base.update(changes)
    return ReceiptFacts(**base)


def test_receipt_has_the_kantara_fields():
    receipt = build_receipt(facts())
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["jurisdiction"] == "GB"
    assert receipt["consentTimestamp"] == int(OBTAINED.timestamp())
    assert receipt["collectionMethod"] == "online"
    assert receipt["consentReceiptID"] == str(uuid.UUID(int=1))
    assert receipt["piiControllers"][0]["piiController"] == "Riverside Mind"
    assert receipt["sensitive"] is True
    assert receipt["spiCat"] == ["health"]
    [service] = receipt["services"]
    purposes = service["purposes"]
    assert len(purposes) == 2
    for purpose in purposes:
        assert purpose["consentType"] == "EXPLICIT"
        assert purpose["piiCategory"]
        assert "Riverside Mind" in purpose["termination"]
    assert purposes[0]["primaryPurpose"] is True


def test_only_consented_purposes_are_listed():
    receipt = build_receipt(facts(scopes=("regulator_use", "equality_monitoring")))
    categories = [p["purposeCategory"] for p in receipt["services"][0]["purposes"]]
    assert categories == [["regulation of health and social care"], ["equality monitoring"]]
    assert "racial or ethnic origin" in receipt["spiCat"]


def test_without_obtained_at_the_recording_time_stands_in():
    assert build_receipt(facts(obtained_at=None))["consentTimestamp"] == int(RECORDED.timestamp())


def test_withdrawn_receipt_says_so():
    gone = datetime(2026, 11, 1, tzinfo=UTC)
    receipt = build_receipt(facts(status="withdrawn", withdrawn_at=gone))
    assert receipt["status"] == "withdrawn"
    assert receipt["withdrawnTimestamp"] == int(gone.timestamp())
    assert build_receipt(facts())["withdrawnTimestamp"] is None


def test_same_facts_same_receipt():
    assert build_receipt(facts()) == build_receipt(facts())
