"""The regulator's view of one location: what people said about it, across partners."""

from __future__ import annotations

import pytest

RECORDS = "/api/v1/experiences"
INSIGHT = "/api/v1/insight/locations"
LOC = "1-000000001"
CONCERN = {"concern": True, "immediate_risk": False, "categories": ["neglect"]}


@pytest.fixture
def reg(make_party, auth_headers):
    return auth_headers(make_party("regulator"))


@pytest.fixture
def ward(make_location):
    return make_location(LOC, name="Riverside Ward")


def submit(client, headers, record):
    response = client.post(RECORDS, json=record, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_regulator_sees_counts_quotes_alerts_and_partners(
    client, ward, make_party, auth_headers, reg, make_record
):
    mind = make_party("charity", name="Riverside Mind")
    healthwatch = make_party("healthwatch", name="Healthwatch Riverside")
    submit(client, auth_headers(mind), make_record(key_questions=["safe"], sentiment="negative"))
    submit(client, auth_headers(mind), make_record(key_questions=["safe"], sentiment="positive"))
    concern = submit(client, auth_headers(healthwatch), make_record(safeguarding=CONCERN))
    response = client.get(f"{INSIGHT}/{LOC}", headers=reg)
    assert response.status_code == 200
    body = response.get_json()
    assert body["location"]["name"] == "Riverside Ward"
    assert body["total"] == 3
    safe = next(q for q in body["key_questions"] if q["key_question"] == "safe")
    assert (safe["count"], safe["negative"], safe["positive"]) == (3, 2, 1)
    assert [m["count"] for m in body["sentiment_over_time"]] == [3]
    # Three records in a month are too few for a mean that means anything.
    assert body["sentiment_over_time"][0]["mean_sentiment_score"] is None
    assert {t["theme"] for t in body["themes"]} == {"staff-attitude", "communication"}
    assert len(body["quotes"]) == 3
    assert "medication" in body["quotes"][0]["text"]
    assert [a["experience_id"] for a in body["safeguarding_alerts"]] == [concern["id"]]
    assert sorted((p["organisation_name"], p["count"]) for p in body["partners"]) == [
        ("Healthwatch Riverside", 1),
        ("Riverside Mind", 2),
    ]


def test_withdrawn_records_are_left_out(client, ward, make_party, auth_headers, reg, make_record):
    partner = auth_headers(make_party("charity"))
    kept = submit(client, partner, make_record())
    gone = submit(client, partner, make_record(narrative="Please forget what I said."))
    assert client.post(f"{RECORDS}/{gone['id']}/withdrawal", headers=partner).status_code == 200
    body = client.get(f"{INSIGHT}/{LOC}", headers=reg).get_json()
    assert body["total"] == 1
    assert [q["experience_id"] for q in body["quotes"]] == [kept["id"]]


def test_partner_token_is_refused(client, ward, make_party, auth_headers):
    partner = auth_headers(make_party("charity"))
    assert client.get(f"{INSIGHT}/{LOC}", headers=partner).status_code == 403


def test_unknown_location_is_404(client, reg):
    assert client.get(f"{INSIGHT}/1-999999999", headers=reg).status_code == 404
    assert client.get(f"{INSIGHT}/not..an-id", headers=reg).status_code == 404


def test_mixed_accounts_are_counted_with_the_others(
    client, ward, make_party, auth_headers, reg, make_record
):
    """Partners may call an account mixed (CONTRACT §4): it is counted, not lost between the
    total and its parts."""
    mind = make_party("charity", name="Riverside Mind")
    for sentiment in ("mixed", "mixed", "negative"):
        submit(client, auth_headers(mind), make_record(key_questions=["safe"], sentiment=sentiment))
    body = client.get(f"{INSIGHT}/{LOC}", headers=reg).get_json()

    assert body["sentiment"] == {"positive": 0, "mixed": 2, "neutral": 0, "negative": 1}
    [month] = body["sentiment_over_time"]
    assert (month["count"], month["mixed"], month["negative"]) == (3, 2, 1)
    [safe] = body["key_questions"]
    assert (safe["count"], safe["mixed"], safe["negative"]) == (3, 2, 1)
