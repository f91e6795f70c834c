"""Consent receipts, and withdrawal: the person's words are erased at once, for real."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.notify.models import WebhookDelivery
from hub.exchange.records.access import publishable_records, shareable_records
from hub.exchange.records.models import ExperienceRecord

URL = "/api/v1/experiences"


@pytest.fixture
def partner(make_party):
    return make_party("charity")


@pytest.fixture
def headers(partner, auth_headers):
    return auth_headers(partner)


@pytest.fixture
def regulator(make_party):
    return make_party("regulator")


def submit(client, headers, record):
    response = client.post(URL, json=record, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_receipt_is_returned_on_creation_and_retrievable_later(client, headers, make_record):
    created = submit(client, headers, make_record())
    receipt = created["consent_receipt"]
    assert receipt["jurisdiction"] == "GB"
    assert receipt["consentReceiptID"] == created["consent"]["receipt_id"]
    assert receipt["piiPrincipalId"] == created["partner_record_id"]
    later = client.get(f"{URL}/{created['id']}/consent-receipt", headers=headers)
    assert later.status_code == 200
    assert later.get_json() == receipt


def test_withdrawal_erases_the_narrative_and_equality_data_in_the_database(
    client, headers, make_record, db_session, regulator
):
    created = submit(client, headers, make_record(narrative="Words that must not outlive consent."))
    response = client.post(f"{URL}/{created['id']}/withdrawal", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "withdrawn"
    assert body["consent"]["status"] == "withdrawn"
    assert body["narrative"] is None and body["equality"] is None
    table = ExperienceRecord.__table__
    # Column reads go to the database, not to objects the session may hold.
    row = db_session.execute(
        sa.select(
            table.c.narrative,
            table.c.narrative_redacted,
            table.c.equality,
            table.c.fingerprint,
            table.c.content_digest,
            table.c.status,
            table.c.withdrawn_at,
            table.c.partner_record_id,
            table.c.experience_date,
        ).where(table.c.id == uuid.UUID(created["id"]))
    ).one()
    raw_equality = db_session.execute(
        sa.text("SELECT COUNT(*) FROM experience_records WHERE equality IS NULL")
    ).scalar_one()
    assert raw_equality == 1
    assert row[:5] == (None, None, None, None, None)
    # The tombstone keeps ids and dates.
    assert row.status == "withdrawn"
    assert row.withdrawn_at is not None
    assert row.partner_record_id == created["partner_record_id"]
    assert row.experience_date is not None


def test_withdrawal_is_idempotent_and_audited_once(client, headers, make_record, db_session):
    created = submit(client, headers, make_record())
    first = client.post(f"{URL}/{created['id']}/withdrawal", headers=headers)
    second = client.post(f"{URL}/{created['id']}/withdrawal", headers=headers)
    assert second.status_code == 200
    assert second.get_json()["withdrawn_at"] == first.get_json()["withdrawn_at"]
    events = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "consent.withdrawn")
    ).all()
    assert [e.object_id for e in events] == [created["id"]]


def test_withdrawal_queues_a_notice_for_the_regulator(
    client, headers, make_record, db_session, regulator, auth_headers
):
    registered = client.post(
        "/api/v1/webhooks",
        json={"url": "https://receiver.example/hook", "events": ["consent.withdrawn"]},
        headers=auth_headers(regulator),
    )
    assert registered.status_code == 201, registered.get_json()
    created = submit(client, headers, make_record())
    client.post(f"{URL}/{created['id']}/withdrawal", headers=headers)
    client.post(f"{URL}/{created['id']}/withdrawal", headers=headers)
    notices = db_session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.event == "consent.withdrawn")
    ).all()
    assert [(str(n.endpoint_id), n.status) for n in notices] == [
        (registered.get_json()["id"], "pending")
    ]
    data = json.loads(notices[0].body)["data"]
    assert (data["object_type"], data["object_id"]) == ("experience", created["id"])
    assert data["experience_id"] == created["id"]


def test_withdrawn_records_are_excluded_from_what_is_produced_later(
    client, headers, make_record, db_session
):
    kept = submit(client, headers, make_record())
    gone = submit(client, headers, make_record())
    private = make_record()
    private["consent"]["scopes"] = ["regulator_use"]
    unpublishable = submit(client, headers, private)
    client.post(f"{URL}/{gone['id']}/withdrawal", headers=headers)
    shareable = {str(r.id) for r in db_session.scalars(shareable_records())}
    assert {kept["id"], unpublishable["id"]} <= shareable
    assert gone["id"] not in shareable
    publishable = {str(r.id) for r in db_session.scalars(publishable_records())}
    assert kept["id"] in publishable
    assert gone["id"] not in publishable and unpublishable["id"] not in publishable


def test_withdrawn_receipt_says_so_and_the_id_cannot_be_reused(client, headers, make_record):
    rec = make_record()
    created = submit(client, headers, rec)
    client.post(f"{URL}/{created['id']}/withdrawal", headers=headers)
    receipt = client.get(f"{URL}/{created['id']}/consent-receipt", headers=headers).get_json()
    assert receipt["status"] == "withdrawn"
    assert receipt["withdrawnTimestamp"] is not None
    again = client.post(URL, json=rec, headers=headers)
    assert again.status_code == 409
    assert "withdrawn" in again.get_json()["detail"]


def test_withdrawal_works_without_an_agreement_in_force(
    client, make_party, auth_headers, make_record, db_session
):
    party = make_party("charity")
    headers = auth_headers(party)
    created = submit(client, headers, make_record())
    for agreement in party.org.agreements:
        agreement.valid_to = agreement.valid_from
    db_session.commit()
    assert client.post(URL, json=make_record(), headers=headers).status_code == 403
    assert client.post(f"{URL}/{created['id']}/withdrawal", headers=headers).status_code == 200


def test_withdrawal_needs_the_write_scope(client, partner, auth_headers, make_record, headers):
    created = submit(client, headers, make_record())
    reader = auth_headers(partner, scope="experiences:read")
    assert client.post(f"{URL}/{created['id']}/withdrawal", headers=reader).status_code == 403
    assert client.post(f"{URL}/{uuid.uuid4()}/withdrawal", headers=headers).status_code == 404


def test_the_regulator_still_sees_the_tombstone(
    client, headers, make_record, auth_headers, regulator, db_session
):
    created = submit(client, headers, make_record())
    client.post(f"{URL}/{created['id']}/withdrawal", headers=headers)
    body = client.get(f"{URL}/{created['id']}", headers=auth_headers(regulator)).get_json()
    assert body["status"] == "withdrawn"
    assert body["narrative"] is None and body["narrative_raw"] is False
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "experience.read_raw")
        )
        == 0
    )
    assert db_session.get(ExperienceRecord, uuid.UUID(created["id"])).narrative is None
