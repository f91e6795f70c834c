"""``POST /api/v1/experiences``: one record at a time, as a partner's system sends it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.records.models import ExperienceRecord, IdempotentResponse, Submission

URL = "/api/v1/experiences"


@pytest.fixture
def partner(make_party):
    return make_party("charity")


@pytest.fixture
def headers(partner, auth_headers):
    return auth_headers(partner)


def count(db_session, model, *where):
    return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_new_record_is_201_and_an_identical_replay_is_200_with_the_same_id(
    client, headers, make_record, db_session, partner
):
    rec = make_record()
    first = client.post(URL, json=rec, headers=headers)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["outcome"] == "created"
    assert body["partner_record_id"] == rec["partner_record_id"]
    assert first.headers["Location"] == f"/api/v1/experiences/{body['id']}"
    again = client.post(URL, json=rec, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]
    assert again.get_json()["outcome"] == "replayed"
    assert count(db_session, ExperienceRecord, ExperienceRecord.organisation_id == partner.id) == 1


@pytest.mark.parametrize("location_id", ["1-000000001", "1-999999999"])
def test_the_answer_to_a_new_record_is_what_was_stored(
    client, headers, make_record, make_location, location_id
):
    """The first answer is built from the rows written; a replay reads them back: the two are
    the same bytes, but for the outcome (an alert, a consent given in another time zone)."""
    make_location("1-000000001")
    day = (date.today() - timedelta(days=30)).isoformat()
    rec = make_record(
        location_id=location_id,
        narrative="He hit me on the ward and the staff saw it happen.",
        safeguarding={"concern": True, "immediate_risk": True, "categories": ["physical"]},
        consent={**make_record()["consent"], "obtained_at": f"{day}T10:00:00.123456+05:30"},
    )
    first = client.post(URL, json=rec, headers=headers)
    again = client.post(URL, json=rec, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["safeguarding"]["alert"] is not None
    created = first.get_data().replace(b'"outcome":"created"', b'"outcome":"replayed"')
    assert created == again.get_data()


def test_same_partner_record_id_with_other_content_is_409(client, headers, make_record):
    rec = make_record()
    created = client.post(URL, json=rec, headers=headers).get_json()
    changed = client.post(URL, json={**rec, "narrative": "A different account."}, headers=headers)
    assert changed.status_code == 409
    problem = changed.get_json()
    assert problem["code"] == "duplicate-conflict"
    assert "partner_record_id" in problem["errors"]
    assert problem["existing_id"] == created["id"]


def test_the_same_partner_record_id_from_two_partners_is_two_records(
    client, headers, make_party, auth_headers, make_record
):
    rec = make_record()
    other = auth_headers(make_party("healthwatch"))
    assert client.post(URL, json=rec, headers=headers).status_code == 201
    assert client.post(URL, json=rec, headers=other).status_code == 201


def test_idempotency_key_replays_the_first_answer(client, headers, make_record, db_session):
    rec = make_record()
    keyed = {**headers, "Idempotency-Key": "3f1d2c4e-retry-1"}
    first = client.post(URL, json=rec, headers=keyed)
    assert first.status_code == 201
    again = client.post(URL, json=rec, headers=keyed)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(URL, json=make_record(), headers=keyed)
    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency-key-reused"
    stored = db_session.scalar(sa.select(IdempotentResponse))
    assert "narrative" not in stored.body and "equality" not in stored.body


def test_unusable_idempotency_key_is_refused(client, headers, make_record):
    response = client.post(URL, json=make_record(), headers={**headers, "Idempotency-Key": "a b"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]


def test_dry_run_checks_and_stores_nothing(client, headers, make_record, db_session):
    before = count(db_session, AuditEvent)
    rec = make_record()
    response = client.post(URL + "?dry_run=true", json=rec, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["dry_run"] is True
    assert body["outcome"] == "created"
    assert body["id"] is None
    assert body["status"] == "needs_reconciliation"
    assert count(db_session, ExperienceRecord) == 0
    assert count(db_session, Submission) == 0
    assert count(db_session, AuditEvent) == before
    bad = client.post(URL + "?dry_run=true", json={**rec, "narrative": ""}, headers=headers)
    assert bad.status_code == 422
    assert client.post(URL, json=rec, headers=headers).status_code == 201


def test_validation_errors_name_every_path(client, headers, make_record):
    rec = make_record(
        experience_date=(date.today() + timedelta(days=2)).isoformat(),
        themes=["communication", "not-a-theme"],
        shoe_size=9,
    )
    response = client.post(URL, json=rec, headers=headers)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "validation-failed"
    assert problem["errors"]["experience_date"] == ["Must not be in the future."]
    assert "themes[1]" in problem["errors"]
    assert problem["errors"]["shoe_size"] == ["Unknown field."]


def test_consent_without_regulator_use_is_consent_required(
    client, headers, make_record, db_session
):
    rec = make_record()
    rec["consent"]["scopes"] = ["publish_anonymised", "feedback"]
    response = client.post(URL, json=rec, headers=headers)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "consent-required"
    assert list(problem["errors"]) == ["consent.scopes"]
    assert count(db_session, ExperienceRecord) == 0


def test_no_agreement_in_force_is_403(client, make_party, auth_headers, make_record):
    lapsed = make_party("charity", valid_from=date(2020, 1, 1), valid_to=date(2021, 1, 1))
    response = client.post(URL, json=make_record(), headers=auth_headers(lapsed))
    assert response.status_code == 403
    assert response.get_json()["code"] == "agreement-required"


def test_write_needs_the_write_scope(client, partner, auth_headers, make_record):
    reader = auth_headers(partner, scope="experiences:read")
    assert client.post(URL, json=make_record(), headers=reader).status_code == 403
    assert client.post(URL, json=make_record()).status_code == 401


def test_body_must_be_json(client, headers):
    assert client.post(URL, data="x=1", headers=headers).status_code == 415
    broken = client.post(
        URL, data="{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.get_json()["code"] == "malformed-json"


def test_equality_without_monitoring_consent_is_dropped_and_never_stored(
    client, headers, make_record, db_session
):
    rec = make_record()
    rec["consent"]["scopes"] = ["regulator_use", "publish_anonymised"]
    response = client.post(URL, json=rec, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["equality_dropped"] is True
    stored = db_session.execute(
        sa.text("SELECT equality FROM experience_records WHERE partner_record_id = :p"),
        {"p": rec["partner_record_id"]},
    ).scalar_one()
    assert stored is None
    shown = client.get(f"{URL}/{response.get_json()['id']}", headers=headers).get_json()
    assert shown["equality"] is None


def test_equality_with_monitoring_consent_is_kept(client, headers, make_record):
    created = client.post(URL, json=make_record(), headers=headers).get_json()
    assert created["equality_dropped"] is False
    shown = client.get(f"{URL}/{created['id']}", headers=headers).get_json()
    assert shown["equality"] == {
        "age_band": "65-74",
        "sex": "female",
        "ethnic_group": "black",
        "disability": "yes",
    }


def test_sentiment_score_is_stored_beside_the_partners_sentiment(client, headers, make_record):
    rec = make_record(
        sentiment="positive",
        narrative="The midwives were wonderful, kind and calm. Thank you so much!",
    )
    body = client.post(URL, json=rec, headers=headers).get_json()
    assert body["sentiment"] == "positive"
    assert 0.5 < body["sentiment_score"] <= 1


def test_creation_writes_audit_events_without_the_narrative(
    client, headers, make_record, db_session, partner
):
    rec = make_record(narrative="Nurse Hartley-Quinn left my mother without water all night.")
    body = client.post(URL, json=rec, headers=headers).get_json()
    events = db_session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.organisation_id == partner.id)
        .order_by(AuditEvent.seq)
    ).all()
    actions = [e.action for e in events]
    assert {"submission.created", "experience.created", "submission.completed"} <= set(actions)
    created = next(e for e in events if e.action == "experience.created")
    assert created.object_id == body["id"]
    assert created.details["partner_record_id"] == rec["partner_record_id"]
    assert all("Hartley" not in str(e.details) and "water" not in str(e.details) for e in events)
    submission = db_session.get(Submission, uuid.UUID(body["submission_id"]))
    assert (submission.channel, submission.status, submission.accepted_count) == (
        "api",
        "completed",
        1,
    )


def test_known_location_is_linked_and_accepted(client, headers, make_record, make_location):
    make_location("1-100000001")
    body = client.post(URL, json=make_record(location_id="1-100000001"), headers=headers).get_json()
    assert (body["status"], body["location_id"], body["submitted_location_id"]) == (
        "accepted",
        "1-100000001",
        "1-100000001",
    )


def test_reregistered_location_links_to_the_current_one(
    client, headers, make_record, make_location
):
    make_location("1-100000001", status="Deregistered")
    make_location("1-100000002", predecessor="1-100000001")
    body = client.post(URL, json=make_record(location_id="1-100000001"), headers=headers).get_json()
    assert (body["status"], body["location_id"], body["submitted_location_id"]) == (
        "accepted",
        "1-100000002",
        "1-100000001",
    )


def test_unknown_location_or_service_only_needs_reconciliation(client, headers, make_record):
    unknown = client.post(URL, json=make_record(location_id="1-999999999"), headers=headers)
    assert unknown.get_json()["status"] == "needs_reconciliation"
    assert unknown.get_json()["location_id"] is None
    service = make_record(
        location_id=..., service={"name": "Riverside Ward, St Elsewhere", "postcode": "SW1A 1AA"}
    )
    body = client.post(URL, json=service, headers=headers).get_json()
    assert body["status"] == "needs_reconciliation"
    assert body["service"] == {"name": "Riverside Ward, St Elsewhere", "postcode": "SW1A 1AA"}
