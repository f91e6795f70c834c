"""Reading records: partners see their own (redacted), the regulator sees all (raw, audited)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent

URL = "/api/v1/experiences"
# A valid NHS number (modulus 11), an email, a UK mobile and a postcode.
IDENTIFYING = (
    "My NHS number is 943 476 5919 and you can email me at jo.bloggs@example.com or ring "
    "07700 900123. We live at SW1A 2AA and the discharge from the ward went badly."
)
IDENTIFIERS = ("943 476 5919", "9434765919", "jo.bloggs@example.com", "07700 900123", "SW1A 2AA")


@pytest.fixture
def partner_a(make_party):
    return make_party("charity")


@pytest.fixture
def a(partner_a, auth_headers):
    return auth_headers(partner_a)


@pytest.fixture
def b(make_party, auth_headers):
    return auth_headers(make_party("charity"))


@pytest.fixture
def regulator(make_party, auth_headers):
    return auth_headers(make_party("regulator"))


def submit(client, headers, record):
    response = client.post(URL, json=record, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_another_partners_record_is_404(client, a, b, make_record):
    created = submit(client, a, make_record())
    assert client.get(f"{URL}/{created['id']}", headers=a).status_code == 200
    response = client.get(f"{URL}/{created['id']}", headers=b)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not-found"
    assert client.get(f"{URL}/{created['id']}/consent-receipt", headers=b).status_code == 404
    assert client.post(f"{URL}/{created['id']}/withdrawal", headers=b).status_code == 404


def test_redacted_copy_holds_none_of_the_identifiers(client, a, make_record):
    created = submit(client, a, make_record(narrative=IDENTIFYING))
    response = client.get(f"{URL}/{created['id']}", headers=a)
    text = response.get_data(as_text=True)
    for identifier in IDENTIFIERS:
        assert identifier not in text
    body = response.get_json()
    assert body["narrative_raw"] is False
    assert "discharge from the ward went badly" in body["narrative_redacted"]
    assert body["redactions"] == {"EMAIL": 1, "NHS_NUMBER": 1, "PHONE": 1, "POSTCODE": 1}
    assert body["narrative"] == body["narrative_redacted"]


def test_creation_answer_holds_no_narrative(client, a, make_record):
    created = submit(client, a, make_record(narrative=IDENTIFYING))
    assert "narrative" not in created
    assert "equality" not in created


def test_regulator_reads_the_raw_narrative_and_the_read_is_audited(
    client, a, regulator, make_record, db_session, partner_a
):
    created = submit(client, a, make_record(narrative=IDENTIFYING))
    body = client.get(f"{URL}/{created['id']}", headers=regulator).get_json()
    assert body["narrative"] == IDENTIFYING
    assert body["narrative_raw"] is True
    assert "[NHS_NUMBER]" in body["narrative_redacted"]
    reads = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "experience.read_raw")
    ).all()
    assert [(e.object_id, e.organisation_id) for e in reads] == [(created["id"], partner_a.id)]
    assert IDENTIFYING not in str(reads[0].details)
    # The partner's own read of its record is not a raw read.
    client.get(f"{URL}/{created['id']}", headers=a)
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "experience.read_raw")
        )
        == 1
    )


def test_record_shows_status_consent_sentiment_safeguarding_and_outcomes(client, a, make_record):
    created = submit(client, a, make_record())
    body = client.get(f"{URL}/{created['id']}", headers=a).get_json()
    assert body["status"] == "needs_reconciliation"
    assert body["consent"]["status"] == "given"
    assert "regulator_use" in body["consent"]["scopes"]
    assert body["sentiment"] == "negative"
    assert isinstance(body["sentiment_score"], float)
    assert body["safeguarding"] == {
        "concern": False,
        "immediate_risk": False,
        "categories": [],
        "alert": None,
    }
    assert body["outcomes"] == []


def test_lists_show_own_records_and_the_regulator_sees_all(client, a, b, regulator, make_record):
    mine = {submit(client, a, make_record())["id"] for _ in range(2)}
    theirs = submit(client, b, make_record())["id"]
    listed = client.get(URL, headers=a).get_json()
    assert {r["id"] for r in listed["items"]} == mine
    assert listed["next_cursor"] is None
    everyone = client.get(URL, headers=regulator).get_json()
    assert {r["id"] for r in everyone["items"]} >= mine | {theirs}
    assert all(r["narrative_raw"] is False for r in everyone["items"])


def test_cursor_pagination_walks_every_record_once(client, a, make_record):
    payload = {"records": [make_record() for _ in range(5)]}
    ids = {
        r["id"] for r in client.post(f"{URL}/batch", json=payload, headers=a).get_json()["results"]
    }
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(URL + query, headers=a).get_json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)


def test_filters(client, a, make_record, make_location):
    make_location("1-100000009")
    linked = submit(client, a, make_record(location_id="1-100000009"))
    loose = submit(client, a, make_record(location_id="1-999999999"))
    by_status = client.get(URL + "?status=needs_reconciliation", headers=a).get_json()
    assert [r["id"] for r in by_status["items"]] == [loose["id"]]
    by_location = client.get(URL + "?location_id=1-100000009", headers=a).get_json()
    assert [r["id"] for r in by_location["items"]] == [linked["id"]]
    later = client.get(URL, query_string={"since": "2999-01-01T00:00:00Z"}, headers=a).get_json()
    assert later["items"] == []
    earlier = client.get(URL, query_string={"since": linked["received_at"]}, headers=a).get_json()
    assert {r["id"] for r in earlier["items"]} == {linked["id"], loose["id"]}
    assert client.get(URL + "?status=lost", headers=a).status_code == 422


def test_reading_needs_a_read_scope(client, partner_a, auth_headers):
    writer = auth_headers(partner_a, scope="experiences:write")
    assert client.get(URL, headers=writer).status_code == 403


def test_same_account_from_two_partners_is_marked_not_rejected(
    client, a, b, regulator, make_record
):
    words = "The night staff shouted at residents and left the lounge doors locked."
    first = submit(client, a, make_record(narrative=words, location_id="1-123456789"))
    second = submit(
        client, b, make_record(narrative=words.upper() + "!!", location_id="1-123456789")
    )
    seen_by_regulator = client.get(f"{URL}/{second['id']}", headers=regulator).get_json()
    assert seen_by_regulator["possible_duplicate_of"] == first["id"]
    assert (
        client.get(f"{URL}/{first['id']}", headers=regulator).get_json()["possible_duplicate_of"]
        is None
    )
    # The partner is not told about another partner's record.
    assert (
        client.get(f"{URL}/{second['id']}", headers=b).get_json()["possible_duplicate_of"] is None
    )


def test_same_partner_repeating_words_is_not_a_cross_partner_duplicate(
    client, a, regulator, make_record
):
    words = "Waited nine hours in the emergency department with no water."
    submit(client, a, make_record(narrative=words))
    again = submit(client, a, make_record(narrative=words))
    assert (
        client.get(f"{URL}/{again['id']}", headers=regulator).get_json()["possible_duplicate_of"]
        is None
    )
