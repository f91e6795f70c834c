"""Registering and managing webhook endpoints through the API."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.notify.models import WebhookEndpoint

HOOK = {"url": "https://partner.example/hooks/hub", "events": ["dataset.released"]}


def test_register_shows_the_secret_once(client, auth_headers, make_party, db_session):
    party = make_party("charity", scopes=["experiences:read"])
    headers = auth_headers(party)
    made = client.post("/api/v1/webhooks", json=HOOK, headers=headers)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert (body["url"], body["events"]) == (HOOK["url"], HOOK["events"])

    listed = client.get("/api/v1/webhooks", headers=headers).get_json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    assert "secret" not in listed["items"][0]
    one = client.get(f"/api/v1/webhooks/{body['id']}", headers=headers).get_json()
    assert "secret" not in one and one["url"] == HOOK["url"]

    stored = db_session.get(WebhookEndpoint, uuid.UUID(body["id"]))
    assert body["secret"] not in stored.secret_encrypted
    audit = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "webhook.registered")
    ).one()
    assert audit.organisation_id == party.id
    assert body["secret"] not in str(audit.details)


def test_delete_and_other_organisations_endpoints_are_404(client, auth_headers, make_party):
    owner, stranger = make_party("charity"), make_party("healthwatch")
    endpoint = client.post("/api/v1/webhooks", json=HOOK, headers=auth_headers(owner)).get_json()
    path = f"/api/v1/webhooks/{endpoint['id']}"
    theirs = auth_headers(stranger)
    for method, url in (("get", path), ("delete", path), ("get", f"{path}/deliveries")):
        answer = getattr(client, method)(url, headers=theirs)
        assert answer.status_code == 404, (method, url)
        assert answer.get_json()["code"] == "not-found"
    assert client.get("/api/v1/webhooks", headers=theirs).get_json()["items"] == []

    mine = auth_headers(owner)
    deleted = client.delete(path, headers=mine)
    assert deleted.status_code == 204
    assert deleted.data == b""
    assert client.get(path, headers=mine).status_code == 404
    assert client.delete(path, headers=mine).status_code == 404
    assert client.get("/api/v1/webhooks", headers=mine).get_json()["items"] == []
    assert client.get("/api/v1/webhooks/not-a-uuid", headers=mine).status_code == 404


def test_bad_urls_and_events_are_refused(client, auth_headers, make_party):
    headers = auth_headers(make_party("charity"))
    cases = [
        ({"url": "ftp://partner.example/x", "events": ["dataset.released"]}, "url"),
        ({"url": "https://me:pw@partner.example/x", "events": ["dataset.released"]}, "url"),
        ({"url": "https://partner.example/x", "events": ["dataset.deleted"]}, "events[0]"),
        ({"url": "https://partner.example/x", "events": []}, "events"),
        ({"url": "https://partner.example/x", "events": ["safeguarding.alert"]}, "events"),
        ({"url": "https://partner.example/x"}, "events"),
    ]
    for payload, field in cases:
        answer = client.post("/api/v1/webhooks", json=payload, headers=headers)
        assert answer.status_code == 422, payload
        assert answer.get_json()["code"] == "validation-failed"
        assert field in answer.get_json()["errors"], (payload, answer.get_json())


def test_regulator_may_subscribe_to_regulator_events(client, auth_headers, make_party):
    made = client.post(
        "/api/v1/webhooks",
        json={
            "url": "https://regulator.example/hooks",
            "events": ["consent.withdrawn", "safeguarding.alert", "outcome.created"],
        },
        headers=auth_headers(make_party("regulator")),
    )
    assert made.status_code == 201
    assert made.get_json()["events"] == [
        "consent.withdrawn",
        "outcome.created",
        "safeguarding.alert",
    ]


def test_webhooks_need_a_token(client):
    answer = client.get("/api/v1/webhooks")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/api/v1/webhooks", json=HOOK).status_code == 401


def test_endpoint_list_pages(client, auth_headers, make_party):
    headers = auth_headers(make_party("charity"))
    ids = [
        client.post("/api/v1/webhooks", json=HOOK, headers=headers).get_json()["id"]
        for _ in range(3)
    ]
    first = client.get("/api/v1/webhooks?limit=2", headers=headers).get_json()
    rest = client.get(
        f"/api/v1/webhooks?limit=2&cursor={first['next_cursor']}", headers=headers
    ).get_json()
    assert [e["id"] for e in first["items"] + rest["items"]] == ids
    assert rest["next_cursor"] is None
