"""Withdrawing a record in the portal: found by the partner's reference, confirmed with a reason,
the API's service and audit event, and a receipt to keep."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.records.models import ExperienceRecord
from tests.api.test_portal_upload import signed_in, token

NARRATIVE = "The night staff never checked on my father after his fall."


@pytest.fixture
def partner(make_party, make_user, make_location):
    make_location("1-000000001")
    party = make_party("charity", name="Riverside Mind")
    return party, make_user("uploader", org=party.org)


@pytest.fixture
def sent(client, partner, auth_headers, make_record):
    party, _ = partner
    answer = client.post(
        "/api/v1/experiences",
        json=make_record(partner_record_id="RM-2025-0042", narrative=NARRATIVE),
        headers=auth_headers(party),
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def withdrawal_events(db_session):
    return db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "consent.withdrawn")
    ).all()


def test_find_by_reference_confirm_with_a_reason_and_keep_the_receipt(
    app, partner, sent, db_session
):
    _, user = partner
    portal = signed_in(app, user)

    found = portal.get("/portal/records/withdraw?reference=RM-2025-0042")
    assert found.status_code == 302
    assert found.headers["Location"] == f"/portal/records/{sent}/withdraw"
    page = portal.get(found.headers["Location"]).get_data(as_text=True)
    assert "What will happen" in page
    assert "erased now" in page

    done = portal.post(
        f"/portal/records/{sent}/withdraw",
        data={"reason": "person-asked", "csrf_token": token(portal, found.headers["Location"])},
    )

    assert done.status_code == 302
    assert done.headers["Location"] == f"/portal/records/{sent}/withdrawal"
    record = db_session.get(ExperienceRecord, uuid.UUID(sent))
    db_session.refresh(record)
    assert record.status == "withdrawn"
    assert record.narrative is None and record.narrative_redacted is None
    [event] = withdrawal_events(db_session)
    assert event.actor == f"user:{user.id}"
    assert event.details["reason"] == "person-asked"
    receipt = portal.get(done.headers["Location"]).get_data(as_text=True)
    assert "Record withdrawn" in receipt
    # The confirmation panel shows the reference in bold, not the markup as text.
    assert "Your reference<br><strong>RM-2025-0042</strong>" in receipt
    assert "&lt;strong&gt;" not in receipt
    assert f"seq={event.seq}, hash={event.hash}" in receipt
    assert event.details["receipt_id"] in receipt
    assert "The person asked us to withdraw what they told us" in receipt
    kept = portal.get(f"/portal/records/{sent}/withdrawal/receipt.json")
    assert kept.status_code == 200
    body = json.loads(kept.data)
    assert body["consent_receipt"]["status"] == "withdrawn"
    assert body["audit_event"] == {"seq": event.seq, "hash": event.hash}
    # Asking to withdraw again leads to the same receipt, with nothing new written.
    again = portal.get(f"/portal/records/{sent}/withdraw")
    assert again.headers["Location"] == f"/portal/records/{sent}/withdrawal"
    assert len(withdrawal_events(db_session)) == 1


def test_a_reason_is_required_and_said_in_plain_english(app, partner, sent, db_session):
    portal = signed_in(app, partner[1])
    path = f"/portal/records/{sent}/withdraw"

    for reason in (None, "because"):
        data = {"csrf_token": token(portal, path)}
        if reason:
            data["reason"] = reason
        answer = portal.post(path, data=data)
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        assert "There is a problem" in html
        # No reason, or one that is none of the options (an altered form): the same words.
        assert "Select why the record is being withdrawn" in html
        assert "Not a valid choice" not in html
    assert withdrawal_events(db_session) == []
    assert db_session.get(ExperienceRecord, uuid.UUID(sent)).status != "withdrawn"


def test_a_post_without_its_csrf_token_withdraws_nothing(app, partner, sent, db_session):
    portal = signed_in(app, partner[1])

    answer = portal.post(f"/portal/records/{sent}/withdraw", data={"reason": "person-asked"})

    assert answer.status_code == 400
    assert withdrawal_events(db_session) == []


def test_another_partners_record_cannot_be_found_or_withdrawn(
    app, sent, make_user, make_org, db_session
):
    portal = signed_in(app, make_user("admin", org=make_org("charity")))

    found = portal.get("/portal/records/withdraw?reference=RM-2025-0042")
    assert found.status_code == 404
    assert "Your organisation has no record with that reference" in found.get_data(as_text=True)
    assert portal.get(f"/portal/records/{sent}/withdraw").status_code == 404
    posted = portal.post(
        f"/portal/records/{sent}/withdraw",
        data={"reason": "person-asked", "csrf_token": token(portal, "/portal")},
    )
    assert posted.status_code == 404
    assert withdrawal_events(db_session) == []


def test_an_empty_reference_asks_for_one(app, partner):
    answer = signed_in(app, partner[1]).get("/portal/records/withdraw?reference=")
    assert answer.status_code == 400
    assert "Enter your organisation&#39;s reference for the record" in answer.get_data(as_text=True)
