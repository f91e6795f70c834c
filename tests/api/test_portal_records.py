"""A partner's records page: its own records only, redacted words, withdrawn ones erased."""

from __future__ import annotations

import pytest

from hub.portal import records as records_page
from tests.api.test_portal_upload import signed_in

EMAIL = "jo.bloggs@example.org"


@pytest.fixture
def ward(make_location):
    return make_location("1-000000001")


@pytest.fixture
def partner(make_party, make_user, ward):
    party = make_party("charity", name="Riverside Mind")
    return party, make_user("uploader", org=party.org)


def send(client, headers, make_record, **fields):
    response = client.post("/api/v1/experiences", json=make_record(**fields), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_partner_sees_its_own_records_with_identifiers_removed(
    app, client, partner, make_party, auth_headers, make_record
):
    party, user = partner
    mine = send(
        client,
        auth_headers(party),
        make_record,
        partner_record_id="mine-1",
        narrative=f"The ward never answered my emails to {EMAIL} for weeks.",
    )
    other = make_party("charity", name="Another Group")
    send(client, auth_headers(other), make_record, partner_record_id="theirs-1")

    page = signed_in(app, user).get("/portal/records")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "mine-1" in text
    assert "theirs-1" not in text
    assert "never answered my emails" in text
    assert EMAIL not in text
    assert mine["id"]


def test_a_withdrawn_record_shows_no_words(app, client, partner, auth_headers, make_record):
    party, user = partner
    headers = auth_headers(party)
    record = send(
        client, headers, make_record, partner_record_id="gone-1", narrative="Nobody listened."
    )
    withdrawn = client.post(f"/api/v1/experiences/{record['id']}/withdrawal", headers=headers)
    assert withdrawn.status_code == 200

    text = signed_in(app, user).get("/portal/records").get_data(as_text=True)

    assert "gone-1" in text
    assert "Consent withdrawn" in text
    assert "Nobody listened" not in text


def test_the_status_filter_and_paging(app, client, partner, auth_headers, make_record, monkeypatch):
    party, user = partner
    headers = auth_headers(party)
    for n in range(3):
        send(client, headers, make_record, partner_record_id=f"rec-{n}")
    gone = send(client, headers, make_record, partner_record_id="rec-gone")
    client.post(f"/api/v1/experiences/{gone['id']}/withdrawal", headers=headers)
    monkeypatch.setattr(records_page, "PAGE_SIZE", 2)
    portal = signed_in(app, user)

    first = portal.get("/portal/records?status=accepted").get_data(as_text=True)
    assert "rec-2" in first and "rec-1" in first  # newest first
    assert "rec-0" not in first and "rec-gone" not in first
    assert "Older records" in first
    link = next(part for part in first.split('"') if "cursor=" in part).replace("&amp;", "&")
    second = portal.get(link).get_data(as_text=True)
    assert "rec-0" in second and "rec-2" not in second and "Older records" not in second

    withdrawn = portal.get("/portal/records?status=withdrawn").get_data(as_text=True)
    assert "rec-gone" in withdrawn and "rec-0" not in withdrawn


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?status=lost", "Choose a status from the list"),
        ("?cursor=not-a-cursor", "That page of your records does not exist: start again"),
    ],
)
def test_bad_filters_are_explained_not_failed(app, partner, query, message):
    _, user = partner
    page = signed_in(app, user).get(f"/portal/records{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "There is a problem" in html
    assert message in html
    assert "this API gave out" not in html
