"""``POST /api/v1/experiences/batch``: many records, each judged on its own."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.records.models import ExperienceRecord, Submission

URL = "/api/v1/experiences/batch"


@pytest.fixture
def partner(make_party):
    return make_party("healthwatch")


@pytest.fixture
def headers(partner, auth_headers):
    return auth_headers(partner)


def stored(db_session, partner):
    return db_session.scalar(
        sa.select(sa.func.count())
        .select_from(ExperienceRecord)
        .where(ExperienceRecord.organisation_id == partner.id)
    )


def test_valid_records_are_kept_and_invalid_ones_reported_by_path(
    client, headers, make_record, db_session, partner
):
    records = [make_record(), make_record(), make_record(), make_record()]
    records[1]["consent"]["scopes"] = ["feedback"]
    records[3]["narrative"] = ""
    response = client.post(URL, json={"records": records}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["accepted"], body["rejected"]) == (2, 2)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["status"] for r in results] == ["created", "rejected", "created", "rejected"]
    assert results[1]["code"] == "consent-required"
    assert list(results[1]["errors"]) == ["records[1].consent.scopes"]
    assert "records[3].narrative" in results[3]["errors"]
    assert results[0]["partner_record_id"] == records[0]["partner_record_id"]
    assert "id" in results[0] and "id" not in results[1]
    assert stored(db_session, partner) == 2

    submission = db_session.get(Submission, uuid.UUID(body["submission_id"]))
    assert submission.channel == "batch"
    assert (submission.declared_count, submission.accepted_count, submission.rejected_count) == (
        4,
        2,
        2,
    )
    first_error = submission.errors[0]
    assert (first_error["row"], first_error["column"]) == (1, "consent.scopes")


def test_resending_a_batch_replays_it(client, headers, make_record, db_session, partner):
    records = [make_record() for _ in range(3)]
    first = client.post(URL, json={"records": records}, headers=headers).get_json()
    again = client.post(URL, json={"records": records}, headers=headers).get_json()
    assert [r["status"] for r in again["results"]] == ["replayed"] * 3
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    assert (again["accepted"], again["replayed"], again["created"]) == (3, 3, 0)
    assert stored(db_session, partner) == 3


def test_repeats_within_a_batch(client, headers, make_record, db_session, partner):
    rec = make_record()
    changed = {**rec, "narrative": "Another account under the same id."}
    body = client.post(URL, json={"records": [rec, rec, changed]}, headers=headers).get_json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "replayed", "rejected"]
    assert body["results"][1]["id"] == body["results"][0]["id"]
    assert body["results"][2]["code"] == "duplicate-conflict"
    assert stored(db_session, partner) == 1


def test_a_conflict_with_a_stored_record_is_a_per_item_error(client, headers, make_record):
    rec = make_record()
    client.post("/api/v1/experiences", json=rec, headers=headers)
    body = client.post(
        URL, json={"records": [{**rec, "narrative": "Changed."}, make_record()]}, headers=headers
    ).get_json()
    assert [r["status"] for r in body["results"]] == ["rejected", "created"]
    assert body["results"][0]["code"] == "duplicate-conflict"
    assert "records[0].partner_record_id" in body["results"][0]["errors"]


def test_dry_run_answers_per_item_and_stores_nothing(
    client, headers, make_record, db_session, partner
):
    before = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    records = [make_record(), make_record(narrative="")]
    body = client.post(URL + "?dry_run=1", json={"records": records}, headers=headers).get_json()
    assert body["dry_run"] is True
    assert body["submission_id"] is None
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    assert stored(db_session, partner) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


def test_more_records_than_allowed_is_413_and_nothing_is_kept(
    make_app, make_party, make_record, db_session
):
    app = make_app(batch_max_records=3)
    client = app.test_client()
    party = make_party("charity")
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(party.client_id, party.client_secret),
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        URL, json={"records": [make_record() for _ in range(4)]}, headers=headers
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload-too-large"
    assert stored(db_session, party) == 0
    ok = client.post(URL, json={"records": [make_record() for _ in range(3)]}, headers=headers)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "records"),
        ({"records": []}, "records"),
        ({"records": "all of them"}, "records"),
        ({"records": [{}], "source": "crm"}, "source"),
        ([], "_schema"),
    ],
)
def test_the_envelope_is_checked(client, headers, body, path):
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 422
    assert path in response.get_json()["errors"]


def test_batch_needs_an_agreement_in_force(client, make_party, auth_headers, make_record):
    lapsed = make_party("charity", valid_from=date(2020, 1, 1), valid_to=date(2020, 12, 31))
    response = client.post(URL, json={"records": [make_record()]}, headers=auth_headers(lapsed))
    assert response.status_code == 403
    assert response.get_json()["code"] == "agreement-required"


def test_idempotency_key_on_a_batch(client, headers, make_record):
    keyed = {**headers, "Idempotency-Key": "batch-2026-11-21-001"}
    payload = {"records": [make_record(), make_record(narrative="")]}
    first = client.post(URL, json=payload, headers=keyed)
    again = client.post(URL, json=payload, headers=keyed)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    reused = client.post(URL, json={"records": [make_record()]}, headers=keyed)
    assert reused.status_code == 422
    assert reused.get_json()["code"] == "idempotency-key-reused"


def test_each_created_record_is_audited(client, headers, make_record, db_session):
    body = client.post(
        URL, json={"records": [make_record(), make_record()]}, headers=headers
    ).get_json()
    ids = {r["id"] for r in body["results"]}
    events = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "experience.created")
    ).all()
    assert {e.object_id for e in events} == ids
    done = db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "submission.completed")
    )
    assert done.details["accepted"] == 2


def test_rejected_values_are_not_kept_in_the_submissions_errors(
    client, headers, make_record, db_session
):
    rec = make_record(equality={"ethnic_group": "gypsy-or-irish-traveller-xyz"})
    body = client.post(URL, json={"records": [rec]}, headers=headers).get_json()
    assert body["results"][0]["status"] == "rejected"
    assert "records[0].equality.ethnic_group" in body["results"][0]["errors"]
    submission = db_session.get(Submission, uuid.UUID(body["submission_id"]))
    assert submission.errors[0]["column"] == "equality.ethnic_group"
    assert "xyz" not in str(submission.errors)


def test_text_no_database_can_store_is_refused_not_a_server_error(client, headers, make_record):
    # NUL and a lone surrogate, in a value and in a field name, as a fuzzer sends them.
    raw = (
        '{"records": [%s, {"partner_record_id": "a\\ud800", "narrative": "x\\u0000y",'
        ' "equality": {"\\u0000key": 1}}], "\\ud83dextra": 1}'
    )
    body = raw % json.dumps(make_record())
    response = client.post(URL, data=body, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert "?extra" in response.get_json()["errors"]
    good = raw.replace(', "\\ud83dextra": 1', "") % json.dumps(make_record())
    answer = client.post(URL, data=good, headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[1]["partner_record_id"] is None
    assert {
        "records[1].partner_record_id",
        "records[1].narrative",
        "records[1].equality.?key",
    } <= set(results[1]["errors"])
