"""``submission.completed`` closes every submission, whatever its channel (issue 14, item 2): a
single record, a batch and a CSV file each send it to the partner's webhooks, with the same
details as the submission's closing audit event."""

from __future__ import annotations

import io
import json
import uuid

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, csv_line
from hub.exchange.notify.models import WebhookDelivery

DETAILS = {"channel", "status", "declared", "accepted", "replayed", "rejected"}


@pytest.fixture
def partner(make_party):
    return make_party("charity")


@pytest.fixture
def headers(partner, auth_headers):
    return auth_headers(partner)


@pytest.fixture
def endpoint_id(client, headers):
    response = client.post(
        "/api/v1/webhooks",
        json={"url": "https://partner.example/hooks", "events": ["submission.completed"]},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return uuid.UUID(response.get_json()["id"])


def _sent(db_session, endpoint_id) -> list[dict]:
    deliveries = db_session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    ).all()
    assert {d.event for d in deliveries} <= {"submission.completed"}
    return [json.loads(d.body)["data"] for d in deliveries]


def _closing_event(db_session, submission_id: str) -> AuditEvent:
    [event] = db_session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "submission.completed", AuditEvent.object_id == submission_id
        )
    ).all()
    return event


def _check(db_session, endpoint_id, channel: str, accepted: int, rejected: int) -> None:
    [data] = _sent(db_session, endpoint_id)
    event = _closing_event(db_session, data["submission_id"])
    assert set(event.details) == DETAILS
    assert {k: v for k, v in data.items() if k != "submission_id"} == event.details
    assert (data["channel"], data["status"]) == (channel, "completed")
    assert (data["accepted"], data["rejected"]) == (accepted, rejected)


def test_a_single_record_sends_submission_completed(
    client, headers, endpoint_id, make_record, db_session
):
    response = client.post("/api/v1/experiences", json=make_record(), headers=headers)
    assert response.status_code == 201, response.get_json()
    _check(db_session, endpoint_id, "api", accepted=1, rejected=0)
    data = _sent(db_session, endpoint_id)[0]
    assert data["submission_id"] == response.get_json()["submission_id"]


def test_a_batch_sends_submission_completed(client, headers, endpoint_id, make_record, db_session):
    bad = {**make_record(), "experience_date": "not a date"}
    body = {"records": [make_record(), make_record(), bad]}
    response = client.post("/api/v1/experiences/batch", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    _check(db_session, endpoint_id, "batch", accepted=2, rejected=1)
    assert (
        _sent(db_session, endpoint_id)[0]["submission_id"] == response.get_json()["submission_id"]
    )


def test_a_csv_file_sends_submission_completed(client, headers, endpoint_id, db_session):
    rows = [dict(row, partner_record_id=f"done-{i}") for i, row in enumerate(EXAMPLE_ROWS)]
    text = csv_line(COLUMNS) + "".join(csv_line(r.get(c, "") for c in COLUMNS) for r in rows)
    response = client.post(
        "/api/v1/submissions/csv",
        data={"file": (io.BytesIO(text.encode()), "people.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    _check(db_session, endpoint_id, "csv", accepted=len(rows), rejected=0)


def test_a_dry_run_sends_nothing(client, headers, endpoint_id, make_record, db_session):
    response = client.post("/api/v1/experiences?dry_run=true", json=make_record(), headers=headers)
    assert response.status_code == 200
    assert _sent(db_session, endpoint_id) == []
