"""Safeguarding: an alert raised in the submitting request, and the regulator's queue."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.notify.models import WebhookDelivery
from hub.exchange.records.models import ExperienceRecord
from hub.jobs.runner import run_job
from hub.safeguarding.models import SafeguardingAlert
from hub.web import hub_context
from tests.factories import register_webhook

RECORDS = "/api/v1/experiences"
ALERTS = "/api/v1/safeguarding/alerts"
CONCERN = {"concern": True, "immediate_risk": False, "categories": ["neglect"]}
URGENT = {"concern": True, "immediate_risk": True, "categories": ["physical"]}


@pytest.fixture
def regulator(make_party):
    return make_party("regulator")


@pytest.fixture
def reg(regulator, auth_headers):
    return auth_headers(regulator)


@pytest.fixture
def partner(make_party, auth_headers):
    return auth_headers(make_party("charity"))


def submit(client, headers, record):
    response = client.post(RECORDS, json=record, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def when(value):
    return datetime.fromisoformat(value)


def test_partner_concern_is_in_the_queue_when_the_request_returns(
    client, partner, reg, make_record, db_session
):
    endpoint = register_webhook(client, reg, ["safeguarding.alert"])
    created = submit(client, partner, make_record(safeguarding=CONCERN))
    alert = created["safeguarding"]["alert"]
    assert alert["status"] == "open"
    assert alert["categories"] == ["neglect"]
    assert when(alert["due_at"]) - when(alert["raised_at"]) == timedelta(hours=24)
    queue = client.get(ALERTS, headers=reg).get_json()["items"]
    assert [(a["id"], a["experience_id"]) for a in queue] == [(alert["id"], created["id"])]
    assert queue[0]["source"] == "partner"
    raised = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "safeguarding.alert_raised")
    ).all()
    assert [e.object_id for e in raised] == [alert["id"]]
    notices = db_session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.event == "safeguarding.alert")
    ).all()
    assert [(str(n.endpoint_id), json.loads(n.body)["data"]["object_id"]) for n in notices] == [
        (endpoint, alert["id"])
    ]
    assert notices[0].status == "pending"


def test_immediate_risk_is_due_within_an_hour(client, partner, reg, make_record):
    created = submit(client, partner, make_record(safeguarding=URGENT))
    alert = created["safeguarding"]["alert"]
    assert alert["immediate"] is True
    assert when(alert["due_at"]) - when(alert["raised_at"]) == timedelta(hours=1)


def test_deadlines_come_from_settings(make_app, make_party, make_record):
    app = make_app(safeguarding_due_immediate_minutes=15, safeguarding_due_minutes=120)
    client = app.test_client()
    party = make_party("charity")
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(party.client_id, party.client_secret),
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    urgent = submit(client, headers, make_record(safeguarding=URGENT))["safeguarding"]["alert"]
    normal = submit(client, headers, make_record(safeguarding=CONCERN))["safeguarding"]["alert"]
    assert when(urgent["due_at"]) - when(urgent["raised_at"]) == timedelta(minutes=15)
    assert when(normal["due_at"]) - when(normal["raised_at"]) == timedelta(hours=2)


def test_the_classifier_raises_an_alert_the_partner_did_not_flag(client, partner, reg, make_record):
    words = (
        "When I visited, a carer slapped my mother across the face and she now has "
        "bruises on her arms."
    )
    created = submit(client, partner, make_record(narrative=words, safeguarding=...))
    alert = created["safeguarding"]["alert"]
    assert alert is not None
    assert "physical" in alert["categories"]
    queued = client.get(f"{ALERTS}/{alert['id']}", headers=reg).get_json()
    assert queued["source"] == "classifier"


def test_an_ordinary_complaint_raises_nothing(client, partner, reg, make_record):
    words = (
        "The appointment ran an hour late, the receptionist was curt and the car park "
        "was full. Nobody explained the delay."
    )
    created = submit(client, partner, make_record(narrative=words))
    assert created["safeguarding"]["alert"] is None
    assert client.get(ALERTS, headers=reg).get_json()["items"] == []


def test_batch_alerts_are_raised_in_the_same_request(client, partner, reg, make_record):
    payload = {
        "records": [
            make_record(safeguarding=CONCERN),
            make_record(),
            make_record(safeguarding=URGENT),
        ]
    }
    body = client.post(f"{RECORDS}/batch", json=payload, headers=partner).get_json()
    assert [r["safeguarding_alert"] for r in body["results"]] == [True, False, True]
    queue = client.get(ALERTS, headers=reg).get_json()["items"]
    assert len(queue) == 2


def test_queue_is_open_first_then_soonest_due(client, partner, reg, make_record):
    normal = submit(client, partner, make_record(safeguarding=CONCERN))["safeguarding"]["alert"]
    urgent = submit(client, partner, make_record(safeguarding=URGENT))["safeguarding"]["alert"]
    later = submit(client, partner, make_record(safeguarding=CONCERN))["safeguarding"]["alert"]
    client.post(f"{ALERTS}/{urgent['id']}/acknowledgement", headers=reg)
    queue = client.get(ALERTS, headers=reg).get_json()["items"]
    assert [a["id"] for a in queue] == [normal["id"], later["id"], urgent["id"]]
    assert [a["status"] for a in queue] == ["open", "open", "acknowledged"]
    only_open = client.get(f"{ALERTS}?status=open", headers=reg).get_json()["items"]
    assert [a["id"] for a in only_open] == [normal["id"], later["id"]]
    first = client.get(f"{ALERTS}?limit=2", headers=reg).get_json()
    rest = client.get(f"{ALERTS}?limit=2&cursor={first['next_cursor']}", headers=reg).get_json()
    assert [a["id"] for a in first["items"] + rest["items"]] == [a["id"] for a in queue]
    assert rest["next_cursor"] is None


def test_acknowledgement_is_audited_once_and_idempotent(
    client, partner, reg, make_record, db_session
):
    alert = submit(client, partner, make_record(safeguarding=CONCERN))["safeguarding"]["alert"]
    first = client.post(f"{ALERTS}/{alert['id']}/acknowledgement", headers=reg)
    assert first.status_code == 200
    assert first.get_json()["status"] == "acknowledged"
    assert first.get_json()["acknowledged_by"].startswith("client:")
    second = client.post(f"{ALERTS}/{alert['id']}/acknowledgement", headers=reg)
    assert second.status_code == 200
    assert second.get_json()["acknowledged_at"] == first.get_json()["acknowledged_at"]
    events = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "safeguarding.alert_acknowledged")
    ).all()
    assert [e.object_id for e in events] == [alert["id"]]


def test_referral_records_where_the_concern_went(client, partner, reg, make_record, db_session):
    alert = submit(client, partner, make_record(safeguarding=CONCERN))["safeguarding"]["alert"]
    reason = "Referred to the local authority adult safeguarding team."
    response = client.post(f"{ALERTS}/{alert['id']}/referral", json={"reason": reason}, headers=reg)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["referral_reason"]) == ("referred", reason)
    assert body["acknowledged_at"] is not None
    event = db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "safeguarding.alert_referred")
    )
    assert reason not in str(event.details)
    assert client.post(f"{ALERTS}/{alert['id']}/referral", json={}, headers=reg).status_code == 422


def test_partners_cannot_see_the_queue(client, partner, make_record):
    alert = submit(client, partner, make_record(safeguarding=CONCERN))["safeguarding"]["alert"]
    assert client.get(ALERTS, headers=partner).status_code == 403
    assert (
        client.post(f"{ALERTS}/{alert['id']}/acknowledgement", headers=partner).status_code == 403
    )


def test_unknown_alert_is_404(client, reg):
    response = client.post(
        f"{ALERTS}/6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90/acknowledgement", headers=reg
    )
    assert response.status_code == 404


def test_alert_outlives_withdrawal(client, partner, reg, make_record):
    created = submit(client, partner, make_record(safeguarding=CONCERN))
    client.post(f"{RECORDS}/{created['id']}/withdrawal", headers=partner)
    queue = client.get(ALERTS, headers=reg).get_json()["items"]
    assert [a["experience_id"] for a in queue] == [created["id"]]


NAMED = "The carer keeps asking Gintaras Petrauskas to lend him money, he gave him £400."
PLAN = "my brother told me he has a plan to end it tonight and has been saving his tablets"


def test_an_alert_says_which_categories_and_why_with_the_words_that_raised_it(
    client, partner, reg, make_record
):
    created = submit(client, partner, make_record(narrative=PLAN, safeguarding=...))
    alert_id = created["safeguarding"]["alert"]["id"]
    for alert in (
        client.get(f"{ALERTS}/{alert_id}", headers=reg).get_json(),
        client.get(ALERTS, headers=reg).get_json()["items"][0],
    ):
        assert alert["categories"] == ["self-harm"] and alert["immediate"] is True
        by = {(r["category"], r["source"]): r["words"] for r in alert["reasons"]}
        assert "has a plan" in by[("self-harm", "rule")]
        # why it is immediate: the plan, and the means at hand beside the intent
        assert by[("immediate", "rule")] == ["has a plan", "end it tonight and has been saving"]
        assert "tablets" in " ".join(by[("self-harm", "model")])
    # the partner's own read of its record carries the same reasons
    assert created["safeguarding"]["alert"]["reasons"] == alert["reasons"]


def test_the_words_of_a_reason_are_redacted_like_the_account(
    client, partner, reg, make_record, db_session
):
    created = submit(client, partner, make_record(narrative=NAMED, safeguarding=...))
    alert = client.get(f"{ALERTS}/{created['safeguarding']['alert']['id']}", headers=reg)
    words = [w for r in alert.get_json()["reasons"] for w in r["words"]]
    assert "asking [NAME] to lend him money" in words
    stored = db_session.scalar(sa.select(SafeguardingAlert.reasons))
    for text in (str(alert.get_json()), str(created), str(stored)):
        assert "Gintaras" not in text and "Petrauskas" not in text


def test_a_partners_flag_is_a_reason_of_its_own(client, partner, reg, make_record):
    created = submit(client, partner, make_record(safeguarding=URGENT))
    alert = client.get(f"{ALERTS}/{created['safeguarding']['alert']['id']}", headers=reg)
    reasons = alert.get_json()["reasons"]
    assert {"category": "physical", "source": "partner", "words": []} in reasons
    assert {"category": "immediate", "source": "partner", "words": []} in reasons


def test_the_batch_answer_gives_each_alert_its_categories_and_reasons(client, partner, make_record):
    payload = {
        "records": [
            make_record(narrative=NAMED, safeguarding=...),
            make_record(),
            make_record(narrative=PLAN, safeguarding=...),
        ]
    }
    body = client.post(f"{RECORDS}/batch", json=payload, headers=partner).get_json()
    named, plain, plan = body["results"]
    assert plain["safeguarding_alert"] is False and plain["safeguarding"] is None
    assert named["safeguarding"]["categories"] == ["financial"]
    assert named["safeguarding"]["immediate"] is False
    assert {"category": "financial", "source": "rule"}.items() <= named["safeguarding"]["reasons"][
        0
    ].items()
    assert "Gintaras" not in str(named)
    assert plan["safeguarding"]["immediate"] is True
    assert any(r["category"] == "immediate" for r in plan["safeguarding"]["reasons"])
    assert when(plan["safeguarding"]["due_at"])
    assert plan["safeguarding"]["alert_id"]


def test_a_concern_found_by_a_later_rescan_is_queued_marked_found_late(
    app, client, partner, reg, make_record, db_session
):
    words = (
        "When I visited, a carer slapped my mother across the face and she now has "
        "bruises on her arms."
    )
    created = submit(client, partner, make_record(narrative=words, safeguarding=...))
    # As if the record had come in before the engines knew this concern.
    db_session.execute(sa.delete(SafeguardingAlert))
    db_session.execute(sa.update(ExperienceRecord).values(scanned_with=None))
    db_session.commit()

    assert run_job(hub_context(app), "rescan").stats["alerts_raised"] == 1

    [alert] = client.get(ALERTS, headers=reg).get_json()["items"]
    assert alert["experience_id"] == created["id"]
    assert alert["found_late"] is True
    assert when(alert["received_at"]) < when(alert["raised_at"])
    record = client.get(f"{RECORDS}/{created['id']}", headers=reg).get_json()
    assert when(alert["received_at"]) == when(record["received_at"])


def test_an_alert_raised_at_intake_is_not_found_late(client, partner, reg, make_record):
    created = submit(client, partner, make_record(safeguarding=CONCERN))
    queued = client.get(f"{ALERTS}/{created['safeguarding']['alert']['id']}", headers=reg)
    alert = queued.get_json()
    assert alert["found_late"] is False
    assert alert["received_at"] == alert["raised_at"]
