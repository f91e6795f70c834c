"""Outcomes reach the partner whose person agreed to hear back, and nobody else."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.consent.models import ConsentRecord
from hub.errors import NotFound, ValidationFailed
from hub.exchange.notify.models import WebhookDelivery
from hub.exchange.notify.webhooks import deliver_pending, register_endpoint
from hub.exchange.outcomes import services as outcomes
from hub.exchange.records.models import ExperienceRecord, Submission
from hub.exchange.records.withdrawal import withdraw_record
from hub.identity.models import SCOPES_BY_KIND
from tests.integration.test_webhooks import receiver  # noqa: F401 - a fixture

HUB_SECRET = "test-hub-secret"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _actor(org) -> Actor:
    return Actor(
        kind="client",
        id=f"hub_{org.kind}",
        organisation_id=org.id,
        organisation_kind=org.kind,
        scopes=SCOPES_BY_KIND[org.kind],
    )


def _record(db_session, org, *, feedback: bool = True) -> ExperienceRecord:
    """A stored record with its consent, as intake leaves it."""
    submission = Submission(
        organisation_id=org.id,
        channel="api",
        status="completed",
        submitted_by="tests",
        declared_count=1,
        accepted_count=1,
        created_at=NOW,
        completed_at=NOW,
    )
    db_session.add(submission)
    db_session.flush()
    rec = ExperienceRecord(
        organisation_id=org.id,
        partner_record_id=f"rec-{uuid.uuid4().hex[:10]}",
        submission_id=submission.id,
        status="accepted",
        received_at=NOW,
        experience_date=date(2026, 1, 5),
        date_precision="day",
        narrative="The ward staff never explained my medicines.",
    )
    db_session.add(rec)
    db_session.flush()
    scopes = ["regulator_use"] + (["feedback"] if feedback else [])
    db_session.add(
        ConsentRecord(
            experience_id=rec.id,
            organisation_id=org.id,
            scopes=scopes,
            feedback=feedback,
            lawful_basis="consent",
            status="given",
        )
    )
    db_session.flush()
    return rec


@pytest.fixture
def parties(make_org):
    return make_org("regulator"), make_org("charity"), make_org("healthwatch")


def _create(db_session, regulator, record_ids, **overrides):
    fields = {
        "kind": "used-in-inspection",
        "summary": "Your accounts shaped the inspection of the ward.",
        "location_id": None,
        "record_ids": record_ids,
        "report_url": "https://www.example.org/report",
        "occurred_on": date(2026, 2, 20),
        "now": NOW,
    }
    fields.update(overrides)
    return outcomes.create_outcome(db_session, _actor(regulator), **fields)


def test_partner_sees_only_its_own_feedback_records(db_session, parties):
    regulator, charity, healthwatch = parties
    heard = _record(db_session, charity)
    quiet = _record(db_session, charity, feedback=False)
    theirs = _record(db_session, healthwatch)
    created = _create(db_session, regulator, [heard.id, quiet.id, theirs.id])
    assert sorted(created["record_ids"]) == sorted(str(r.id) for r in (heard, quiet, theirs))

    items, _ = outcomes.list_outcomes(db_session, _actor(charity), limit=10)
    assert [(o["id"], o["record_ids"]) for o in items] == [(created["id"], [str(heard.id)])]
    items, _ = outcomes.list_outcomes(db_session, _actor(healthwatch), limit=10)
    assert [o["record_ids"] for o in items] == [[str(theirs.id)]]
    items, _ = outcomes.list_outcomes(db_session, _actor(regulator), limit=10)
    assert len(items[0]["record_ids"]) == 3

    assert [o["id"] for o in outcomes.outcomes_for_record(db_session, _actor(charity), heard.id)]
    # Consent without feedback: the partner is not told, even of an outcome it sees elsewhere.
    assert outcomes.outcomes_for_record(db_session, _actor(charity), quiet.id) == []
    with pytest.raises(NotFound):
        outcomes.outcomes_for_record(db_session, _actor(healthwatch), heard.id)


def test_an_outcome_without_feedback_consent_is_not_listed(db_session, parties):
    regulator, charity, _ = parties
    quiet = _record(db_session, charity, feedback=False)
    _create(db_session, regulator, [quiet.id])
    assert outcomes.list_outcomes(db_session, _actor(charity), limit=10) == ([], None)


def test_withdrawal_stops_the_relay(db_session, parties):
    regulator, charity, _ = parties
    rec = _record(db_session, charity)
    _create(db_session, regulator, [rec.id])
    assert outcomes.list_outcomes(db_session, _actor(charity), limit=10)[0]
    withdraw_record(db_session, _actor(charity), rec.id, now=NOW)
    assert outcomes.list_outcomes(db_session, _actor(charity), limit=10) == ([], None)
    assert outcomes.outcomes_for_record(db_session, _actor(charity), rec.id) == []


def test_unknown_records_and_locations_are_named(db_session, parties, make_location):
    regulator, charity, _ = parties
    rec = _record(db_session, charity)
    missing = uuid.uuid4()
    with pytest.raises(ValidationFailed) as caught:
        _create(db_session, regulator, [rec.id, missing], location_id="1-999999999")
    assert caught.value.errors == {
        "record_ids": [f"No such records: {missing}."],
        "location_id": ["No registered location 1-999999999."],
    }
    make_location("1-123456789")
    created = _create(db_session, regulator, [rec.id], location_id="1-123456789")
    assert created["location_id"] == "1-123456789"
    db_session.commit()  # audit events are written when the transaction commits
    audit = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "outcome.created")
    ).one()
    assert audit.object_id == created["id"]


def test_outcome_created_is_queued_only_for_partners_told(db_session, parties):
    regulator, charity, healthwatch = parties
    for org in (charity, healthwatch):
        register_endpoint(
            db_session,
            _actor(org),
            url=f"https://{org.kind}.example.org/hooks",
            events=["outcome.created"],
            hub_secret=HUB_SECRET,
        )
    heard = _record(db_session, charity)
    _record(db_session, charity)  # not linked
    quiet = _record(db_session, healthwatch, feedback=False)
    created = _create(db_session, regulator, [heard.id, quiet.id])

    [delivery] = db_session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.event == "outcome.created")
    )
    assert delivery.endpoint.organisation_id == charity.id
    data = json.loads(delivery.body)["data"]
    assert (data["id"], data["record_ids"]) == (created["id"], [str(heard.id)])


def test_receiver_gets_a_correctly_signed_outcome_created(
    receiver,  # noqa: F811
    db_session,
    session_factory,
    parties,
):
    regulator, charity, _ = parties
    new = register_endpoint(
        db_session,
        _actor(charity),
        url=receiver.url,
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
    )
    rec = _record(db_session, charity)
    created = _create(db_session, regulator, [rec.id])
    db_session.commit()

    report = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW)

    assert report.delivered == 1
    [(headers, body)] = receiver.received
    timestamp, v1 = (part.split("=", 1)[1] for part in headers["Hub-Signature"].split(","))
    expected = hmac.new(new.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(v1, expected.hexdigest())
    payload = json.loads(body)
    assert payload["event"] == "outcome.created"
    assert payload["data"]["id"] == created["id"]
    assert payload["data"]["record_ids"] == [str(rec.id)]
