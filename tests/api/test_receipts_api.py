"""``GET /api/v1/receipts/{seq}`` and the receipts that submissions and downloads carry."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from hub.actor import Actor
from hub.audit.chain import CHAINED_FIELDS, canonical_json
from hub.audit.merkle import verify_inclusion
from hub.audit.models import AuditEvent
from hub.clock import utcnow
from hub.exchange.records.submissions import close_submission, open_submission
from hub.jobs.runner import run_job
from hub.web import hub_context

PROBLEM = "application/problem+json"


@pytest.fixture
def partner(make_party):
    return make_party("healthwatch")


@pytest.fixture
def headers(partner, auth_headers):
    return auth_headers(partner)


def _submit(client, headers, make_record, n=2):
    response = client.post(
        "/api/v1/experiences/batch",
        json={"records": [make_record() for _ in range(n)]},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _receipt(client, headers, seq):
    response = client.get(f"/api/v1/receipts/{seq}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _seal(app):
    run = run_job(hub_context(app), "audit-seal")
    assert run.status == "succeeded", run.error
    return run.stats["sealed_upto_seq"]


def test_a_receipt_needs_a_token(client):
    response = client.get("/api/v1/receipts/1")
    assert response.status_code == 401
    assert response.content_type == PROBLEM


def test_a_batch_and_its_submission_carry_the_receipt_of_the_completed_submission(
    client, headers, make_record, db_session
):
    answer = _submit(client, headers, make_record)
    receipt = answer["receipt"]
    event = db_session.get(AuditEvent, receipt["audit_seq"])
    assert (event.action, event.object_id) == ("submission.completed", answer["submission_id"])
    assert event.hash == receipt["hash"]

    one = client.get(f"/api/v1/submissions/{answer['submission_id']}", headers=headers)
    assert one.get_json()["receipt"] == receipt
    listed = client.get("/api/v1/submissions", headers=headers).get_json()["items"]
    assert [item["receipt"] for item in listed] == [receipt]

    dry = client.post(
        "/api/v1/experiences/batch",
        query_string={"dry_run": "true"},
        json={"records": [make_record()]},
        headers=headers,
    )
    assert dry.get_json()["receipt"] is None


def test_a_replayed_batch_answers_the_same_receipt(client, headers, make_record):
    batch = {"records": [make_record()]}
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/experiences/batch", json=batch, headers=keyed).get_json()
    again = client.post("/api/v1/experiences/batch", json=batch, headers=keyed).get_json()
    assert again["receipt"] == first["receipt"] is not None


def test_an_unsealed_receipt_shows_the_hashed_event_and_no_proof(
    client, headers, make_record, partner
):
    seq = _submit(client, headers, make_record)["receipt"]["audit_seq"]

    receipt = _receipt(client, headers, seq)

    assert (receipt["sealed"], receipt["seal"], receipt["proof"]) == (False, None, None)
    assert set(receipt["event"]) == set(CHAINED_FIELDS)
    assert receipt["event"]["organisation_id"] == str(partner.id)
    payload = receipt["prev_hash"] + canonical_json(receipt["event"])
    assert hashlib.sha256(payload.encode()).hexdigest() == receipt["hash"]


def test_a_sealed_receipt_proves_inclusion_under_the_earliest_covering_seal(
    app, client, headers, make_record, make_party, auth_headers
):
    seq = _submit(client, headers, make_record)["receipt"]["audit_seq"]
    first = _seal(app)
    _submit(client, headers, make_record)
    _seal(app)

    receipt = _receipt(client, headers, seq)

    assert receipt["sealed"] is True
    body = receipt["seal"]["seal"]
    assert body["upto_seq"] == first
    proof = receipt["proof"]
    assert (proof["leaf_index"], proof["tree_size"]) == (seq - 1, first)
    assert verify_inclusion(
        seq - 1, first, receipt["hash"], proof["audit_path"], body["merkle_root"]
    )
    described = client.get(
        "/api/v1/audit/public-key", headers=auth_headers(make_party("charity"))
    ).get_json()
    assert receipt["seal"]["key_id"] == described["key_id"]
    public = load_pem_public_key(described["public_key_pem"].encode())
    public.verify(base64.b64decode(receipt["seal"]["signature"]), canonical_json(body).encode())


def test_other_organisations_and_other_events_answer_as_if_there_were_none(
    client, headers, make_record, make_party, auth_headers, db_session, partner
):
    seq = _submit(client, headers, make_record)["receipt"]["audit_seq"]
    own_token_event = db_session.scalar(
        sa.select(AuditEvent.seq).where(
            AuditEvent.organisation_id == partner.id, AuditEvent.action == "token.issued"
        )
    )
    assert own_token_event is not None
    missing = client.get("/api/v1/receipts/999999999", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["code"] == "not-found"

    other = auth_headers(make_party("charity"))
    hidden = [
        client.get(f"/api/v1/receipts/{seq}", headers=other),
        client.get(f"/api/v1/receipts/{own_token_event}", headers=headers),
    ]

    for response in hidden:
        assert response.status_code == 404
        assert response.content_type == PROBLEM
        assert response.get_json()["detail"] == missing.get_json()["detail"]


@pytest.mark.parametrize("kind", ["auditor", "regulator"])
def test_audit_read_reads_any_receipt(client, headers, make_record, make_party, auth_headers, kind):
    seq = _submit(client, headers, make_record)["receipt"]["audit_seq"]
    response = client.get(f"/api/v1/receipts/{seq}", headers=auth_headers(make_party(kind)))
    assert response.status_code == 200
    assert response.get_json()["seq"] == seq


def test_a_download_answers_its_receipt_in_a_header(client, make_party, auth_headers, db_session):
    regulator = auth_headers(make_party("regulator"))
    charity_party = make_party("charity", conditions=["cancer"])
    charity = auth_headers(charity_party)
    published = client.post(
        "/api/v1/datasets/cancer-waits/releases",
        data={
            "file": (io.BytesIO(b"trust,month,days\nRXQ,2026-01,31\n"), "waits.csv"),
            "title": "Cancer waits",
            "condition_area": "cancer",
        },
        headers=regulator,
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()

    download = client.get("/api/v1/datasets/cancer-waits/releases/1/file", headers=charity)

    assert download.status_code == 200
    seq_part, hash_part = download.headers["Hub-Receipt"].split(", ")
    seq = int(seq_part.removeprefix("seq="))
    event = db_session.get(AuditEvent, seq)
    assert event.action == "dataset.downloaded"
    assert event.organisation_id == charity_party.id
    assert hash_part == f"hash={event.hash}"
    assert _receipt(client, charity, seq)["event"]["action"] == "dataset.downloaded"
    not_modified = client.get(
        "/api/v1/datasets/cancer-waits/releases/1/file",
        headers={**charity, "If-None-Match": download.headers["ETag"]},
    )
    assert not_modified.status_code == 304
    assert "Hub-Receipt" not in not_modified.headers


def test_a_submission_in_progress_has_the_receipt_of_its_opening_until_it_completes(
    client, headers, partner, db_session
):
    actor = Actor(kind="client", id=partner.client_id, organisation_id=partner.id)
    submission = open_submission(db_session, actor, channel="csv", declared=0, now=utcnow())
    db_session.commit()
    url = f"/api/v1/submissions/{submission.id}"

    opened = client.get(url, headers=headers).get_json()["receipt"]
    assert db_session.get(AuditEvent, opened["audit_seq"]).action == "submission.created"

    close_submission(db_session, actor, submission, now=utcnow())
    db_session.commit()
    closed = client.get(url, headers=headers).get_json()["receipt"]
    assert closed["audit_seq"] > opened["audit_seq"]
    assert db_session.get(AuditEvent, closed["audit_seq"]).action == "submission.completed"
    assert _receipt(client, headers, opened["audit_seq"])["event"]["object_id"] == str(
        submission.id
    )
