"""``/api/v1/outcomes``: the regulator records outcomes; each partner reads its own."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from hub.actor import Actor
from hub.exchange.notify.models import WebhookDelivery
from hub.exchange.notify.webhooks import register_endpoint
from hub.identity import services as identity
from tests.factories import ACTOR

URL = "/api/v1/outcomes"
NO_FEEDBACK = ["regulator_use", "publish_anonymised"]


@pytest.fixture
def charity(make_party):
    return make_party("charity")


@pytest.fixture
def other(make_party):
    return make_party("healthwatch")


@pytest.fixture
def a(charity, auth_headers):
    return auth_headers(charity)


@pytest.fixture
def b(other, auth_headers):
    return auth_headers(other)


@pytest.fixture
def regulator(make_party, auth_headers):
    return auth_headers(make_party("regulator"))


def submit(client, headers, record):
    response = client.post("/api/v1/experiences", json=record, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def record_outcome(client, headers, record_ids, **fields):
    body = {
        "kind": "shared-with-provider",
        "summary": "We shared what people told us about discharge with the trust.",
        "record_ids": record_ids,
        "occurred_on": "2026-02-20",
        **fields,
    }
    return client.post(URL, json=body, headers=headers)


def test_an_outcome_reaches_its_records_partner_and_no_one_else(
    client, a, b, regulator, make_record
):
    mine = submit(client, a, make_record())
    theirs = submit(client, b, make_record())
    response = record_outcome(
        client, regulator, [mine, theirs], report_url="https://www.example.org/r/1"
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert sorted(created["record_ids"]) == sorted([mine, theirs])

    listed = client.get(URL, headers=a).get_json()
    assert [(o["id"], o["record_ids"]) for o in listed["items"]] == [(created["id"], [mine])]
    assert listed["items"][0]["report_url"] == "https://www.example.org/r/1"
    linked = client.get(f"/api/v1/experiences/{mine}/outcomes", headers=a).get_json()
    assert [o["id"] for o in linked["items"]] == [created["id"]]
    assert linked["items"][0]["record_ids"] == [mine]
    record = client.get(f"/api/v1/experiences/{mine}", headers=a).get_json()
    assert [o["id"] for o in record["outcomes"]] == [created["id"]]

    # The other partner sees its own link only, never the first partner's record ids.
    seen_by_b = client.get(URL, headers=b).get_json()["items"]
    assert seen_by_b[0]["record_ids"] == [theirs]
    assert mine not in json.dumps(seen_by_b)
    assert client.get(f"/api/v1/experiences/{mine}/outcomes", headers=b).status_code == 404

    everyone = client.get(URL, headers=regulator).get_json()["items"]
    assert sorted(everyone[0]["record_ids"]) == sorted([mine, theirs])


def test_another_partner_lists_nothing(client, a, b, regulator, make_record):
    mine = submit(client, a, make_record())
    assert record_outcome(client, regulator, [mine]).status_code == 201
    assert client.get(URL, headers=b).get_json() == {"items": [], "next_cursor": None}
    response = client.get(f"/api/v1/experiences/{mine}/outcomes", headers=b)
    assert (response.status_code, response.get_json()["code"]) == (404, "not-found")


def test_without_feedback_consent_the_partner_is_not_told(client, a, regulator, make_record):
    record = make_record()
    record["consent"]["scopes"] = NO_FEEDBACK
    quiet = submit(client, a, record)
    assert record_outcome(client, regulator, [quiet]).status_code == 201
    assert client.get(URL, headers=a).get_json()["items"] == []
    linked = client.get(f"/api/v1/experiences/{quiet}/outcomes", headers=a)
    assert (linked.status_code, linked.get_json()) == (200, {"items": []})
    everyone = client.get(f"/api/v1/experiences/{quiet}/outcomes", headers=regulator)
    assert len(everyone.get_json()["items"]) == 1


def test_outcome_created_is_queued_for_the_partner_in_the_same_request(
    client, a, charity, regulator, make_record, db_session
):
    register_endpoint(
        db_session,
        Actor(kind="client", id="t", organisation_id=charity.id, organisation_kind="charity"),
        url="https://hooks.example.org/hub",
        events=["outcome.created"],
        hub_secret="test-hub-secret",
    )
    db_session.commit()
    mine = submit(client, a, make_record())
    created = record_outcome(client, regulator, [mine]).get_json()

    db_session.expire_all()
    [row] = db_session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.event == "outcome.created")
    )
    assert row.status == "pending"
    assert json.loads(row.body)["data"]["id"] == created["id"]


def test_only_the_regulator_records_outcomes(client, a, make_record):
    mine = submit(client, a, make_record())
    response = record_outcome(client, a, [mine])
    assert response.status_code == 403


def test_unknown_record_ids_are_named(client, a, regulator, make_record):
    mine = submit(client, a, make_record())
    missing = str(uuid.uuid4())
    response = record_outcome(client, regulator, [mine, missing])
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"record_ids": [f"No such records: {missing}."]}
    bad_kind = record_outcome(client, regulator, [mine], kind="nothing")
    assert bad_kind.status_code == 422
    assert "kind" in bad_kind.get_json()["errors"]


def test_outcomes_are_paginated(client, a, regulator, make_record):
    mine = submit(client, a, make_record())
    ids = [record_outcome(client, regulator, [mine]).get_json()["id"] for _ in range(3)]
    first = client.get(f"{URL}?limit=2", headers=a).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(f"{URL}?limit=2&cursor={first['next_cursor']}", headers=a).get_json()
    assert rest["next_cursor"] is None
    assert sorted(o["id"] for o in first["items"] + rest["items"]) == sorted(ids)


PASSWORD = "a long enough passphrase"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def portal_client(app, db_session, organisation_id, role="uploader"):
    user = identity.create_user(
        db_session,
        ACTOR,
        organisation_id=organisation_id,
        email=f"volunteer-{uuid.uuid4().hex[:8]}@example.org",
        password=PASSWORD,
        role=role,
    )
    db_session.commit()
    browser = app.test_client()
    match = CSRF_INPUT.search(browser.get("/portal/sign-in").get_data(as_text=True))
    assert match
    signed = browser.post(
        "/portal/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": match.group(1)},
    )
    assert signed.status_code == 302
    return browser


def test_the_portal_page_tells_a_partner_in_plain_english(
    app, client, a, b, charity, other, regulator, make_record, db_session
):
    record = make_record(partner_record_id="mind-0042")
    mine = submit(client, a, record)
    theirs = submit(client, b, make_record(partner_record_id="hw-0007"))
    assert record_outcome(client, regulator, [mine, theirs]).status_code == 201

    page = portal_client(app, db_session, charity.id).get("/portal/outcomes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Shared with the care provider" in html
    assert "We shared what people told us about discharge with the trust." in html
    assert "mind-0042" in html
    assert "hw-0007" not in html and theirs not in html

    empty = portal_client(app, db_session, make_org_id(db_session)).get("/portal/outcomes")
    assert "Nothing yet" in empty.get_data(as_text=True)


def make_org_id(db_session) -> uuid.UUID:
    org = identity.create_organisation(
        db_session,
        ACTOR,
        name=f"Quiet charity {uuid.uuid4().hex[:8]}",
        kind="charity",
        condition_areas=["mental-health"],
        valid_from=date(2020, 1, 1),
        valid_to=None,
    )
    db_session.commit()
    return org.id


def test_an_outcome_cannot_have_been_done_in_the_future(client, a, regulator, make_record):
    """ "What was done" is in the past: a date after today (in the UK) is a slip of the year."""
    mine = submit(client, a, make_record())
    tomorrow = date.fromordinal(date.today().toordinal() + 2).isoformat()

    response = record_outcome(client, regulator, [mine], occurred_on=tomorrow)

    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == {"occurred_on": ["Must not be in the future."]}
    assert client.get(URL, headers=a).get_json()["items"] == []
    today = record_outcome(client, regulator, [mine], occurred_on=date.today().isoformat())
    assert today.status_code == 201, today.get_json()
