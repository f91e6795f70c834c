"""Notices owed to the regulator (safeguarding alerts, withdrawals) reach its webhooks."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from hub.exchange.notify.models import WebhookDelivery
from tests.factories import register_webhook


def test_safeguarding_alert_and_withdrawal_are_sent_to_the_regulators_endpoint(
    client, make_party, auth_headers, make_record, db_session
):
    regulator = make_party("regulator")
    partner = make_party("charity")
    endpoint_id = register_webhook(
        client, auth_headers(regulator), ["safeguarding.alert", "consent.withdrawn"]
    )
    headers = auth_headers(partner)
    record = make_record(
        narrative="The carer Sandra slapped my mum and she has bruises on her arms.",
        safeguarding={"concern": True, "immediate_risk": False, "categories": ["physical"]},
    )
    created = client.post("/api/v1/experiences", json=record, headers=headers)
    assert created.status_code == 201, created.get_json()
    record_id = created.get_json()["id"]
    withdrawn = client.post(f"/api/v1/experiences/{record_id}/withdrawal", headers=headers)
    assert withdrawn.status_code == 200

    deliveries = db_session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint_id))
    ).all()
    by_event = {d.event: d for d in deliveries}
    assert sorted(by_event) == ["consent.withdrawn", "safeguarding.alert"]
    assert "slapped" not in by_event["consent.withdrawn"].body
    # The alert says why, as the queue does: the words that raised it, the name hidden.
    data = json.loads(by_event["safeguarding.alert"].body)["data"]
    alert = client.get(
        f"/api/v1/safeguarding/alerts/{data['alert_id']}", headers=auth_headers(regulator)
    ).get_json()
    assert data["reasons"] == alert["reasons"]
    assert any("slapped" in word for r in data["reasons"] for word in r["words"])
    assert "Sandra" not in by_event["safeguarding.alert"].body
