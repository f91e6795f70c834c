"""``GET /api/v1/ledger``: the counts match what each partner gave and got, month by month."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

URL = "/api/v1/ledger"
ZERO = {
    "records_submitted": 0,
    "records_accepted": 0,
    "records_rejected": 0,
    "records_withdrawn": 0,
    "releases_received": 0,
    "outcomes_received": 0,
}


@pytest.fixture
def charity(make_party):
    return make_party("charity", conditions=["mental-health"])


@pytest.fixture
def a(charity, auth_headers):
    return auth_headers(charity)


@pytest.fixture
def b(make_party, auth_headers):
    return auth_headers(make_party("healthwatch"))


@pytest.fixture
def regulator(make_party, auth_headers):
    return auth_headers(make_party("regulator"))


def test_the_months_counts_match_what_happened(client, a, b, charity, regulator, make_record):
    month = f"{datetime.now(UTC):%Y-%m}"
    records = [make_record() for _ in range(4)]
    records[1]["consent"]["scopes"] = ["feedback"]  # no regulator_use: rejected
    batch = client.post("/api/v1/experiences/batch", json={"records": records}, headers=a)
    assert batch.status_code == 200, batch.get_json()
    ids = [r["id"] for r in batch.get_json()["results"] if r["status"] == "created"]
    assert len(ids) == 3
    assert client.post(f"/api/v1/experiences/{ids[0]}/withdrawal", headers=a).status_code == 200

    published = client.post(
        "/api/v1/datasets/mh-survey/releases",
        data={
            "file": (io.BytesIO(b"org_code,score\nXA1,80\n"), "mh.csv"),
            "title": "Mental health survey",
            "condition_area": "mental-health",
        },
        headers=regulator,
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()
    download = client.get("/api/v1/datasets/mh-survey/releases/1/file", headers=a)
    assert download.status_code == 200

    outcome = client.post(
        "/api/v1/outcomes",
        json={
            "kind": "informed-monitoring",
            "summary": "Your accounts were read by the team that monitors this service.",
            "record_ids": ids[1:],
            "occurred_on": "2026-02-20",
        },
        headers=regulator,
    )
    assert outcome.status_code == 201, outcome.get_json()

    expected = {
        "month": month,
        "records_submitted": 4,
        "records_accepted": 3,
        "records_rejected": 1,
        "records_withdrawn": 1,
        "releases_received": 1,
        "outcomes_received": 1,
    }
    mine = client.get(f"{URL}?from={month}&to={month}", headers=a)
    assert mine.status_code == 200, mine.get_json()
    assert mine.get_json() == {"organisation_id": str(charity.id), "months": [expected]}

    as_regulator = client.get(
        f"{URL}?from={month}&to={month}&organisation_id={charity.id}", headers=regulator
    ).get_json()
    assert as_regulator["months"] == [expected]
    everyone = client.get(f"{URL}?from={month}&to={month}", headers=regulator).get_json()
    assert everyone["organisation_id"] is None
    assert everyone["months"][0]["records_accepted"] >= 3

    theirs = client.get(f"{URL}?from={month}&to={month}", headers=b).get_json()
    assert theirs["months"] == [{"month": month, **ZERO}]


def test_a_partner_cannot_read_another_partners_ledger(client, a, charity, make_party):
    other = make_party("charity")
    response = client.get(f"{URL}?organisation_id={other.id}", headers=a)
    assert response.status_code == 404
    assert client.get(f"{URL}?organisation_id={charity.id}", headers=a).status_code == 200


def test_every_month_of_the_range_is_listed(client, a):
    body = client.get(f"{URL}?from=2025-11&to=2026-02", headers=a).get_json()
    assert [m["month"] for m in body["months"]] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert all(m == {"month": m["month"], **ZERO} for m in body["months"])
    default = client.get(URL, headers=a).get_json()["months"]
    assert len(default) == 12 and default[-1]["month"] == f"{datetime.now(UTC):%Y-%m}"


@pytest.mark.parametrize(
    "query", ["from=2026-13", "to=26-01", "from=2026-03&to=2026-01", "from=2000-01&to=2026-01"]
)
def test_bad_ranges_are_422(client, a, query):
    response = client.get(f"{URL}?{query}", headers=a)
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation-failed"
