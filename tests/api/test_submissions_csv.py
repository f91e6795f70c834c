"""``/api/v1/submissions``: upload a CSV, follow its progress, read its errors."""

from __future__ import annotations

import io

import pytest

from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, csv_line

URL = "/api/v1/submissions/csv"


def make_csv(rows) -> bytes:
    text = csv_line(COLUMNS) + "".join(csv_line(r.get(c, "") for c in COLUMNS) for r in rows)
    return text.encode()


def rows(n: int, bad: frozenset[int] = frozenset()) -> list[dict[str, str]]:
    out = []
    for i in range(n):
        r = dict(EXAMPLE_ROWS[i % len(EXAMPLE_ROWS)], partner_record_id=f"api-csv-{i}")
        if i in bad:
            r["experience_date"] = "not a date"
        out.append(r)
    return out


@pytest.fixture
def partner(make_party):
    return make_party("charity")


@pytest.fixture
def headers(partner, auth_headers):
    return auth_headers(partner)


def send(client, headers, data: bytes, name: str = "people.csv"):
    return client.post(
        URL,
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_an_upload_is_accepted_then_reported_row_by_row(client, headers):
    response = send(client, headers, make_csv(rows(4, bad=frozenset({2}))))
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"submission_id", "status"}

    state = client.get(f"/api/v1/submissions/{body['submission_id']}", headers=headers)
    assert state.status_code == 200
    got = state.get_json()
    assert (got["channel"], got["status"]) == ("csv", "completed")
    assert (got["rows_done"], got["rows_total"]) == (4, 4)
    assert (got["accepted"], got["rejected"]) == (3, 1)
    assert [(e["row"], e["column"]) for e in got["errors"]] == [(4, "experience_date")]

    listed = client.get("/api/v1/submissions", headers=headers).get_json()
    assert body["submission_id"] in [s["id"] for s in listed["items"]]


def test_the_same_file_again_answers_the_same_submission(client, headers):
    data = make_csv(rows(2))
    first = send(client, headers, data).get_json()
    again = send(client, headers, data, name="renamed.csv").get_json()
    assert again["submission_id"] == first["submission_id"]
    state = client.get(f"/api/v1/submissions/{first['submission_id']}", headers=headers)
    assert state.get_json()["accepted"] == 2


def test_not_multipart_is_415(client, headers):
    response = client.post(URL, data=make_csv(rows(1)), headers=headers, content_type="text/csv")
    assert response.status_code == 415
    assert response.get_json()["code"] == "unsupported-media-type"


def test_no_file_field_is_422(client, headers):
    response = client.post(
        URL, data={"other": "x"}, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 422


@pytest.mark.parametrize("limit", [{"csv_max_rows": 2}, {"csv_max_bytes": 200}])
def test_over_the_limits_is_413_with_nothing_kept(make_app, make_party, limit):
    app = make_app(**limit)
    client = app.test_client()
    partner = make_party("charity")
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(partner.client_id, partner.client_secret),
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = send(client, headers, make_csv(rows(3)))
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload-too-large"
    assert client.get("/api/v1/submissions", headers=headers).get_json()["items"] == []


def test_another_organisations_submission_is_404(client, headers, make_party, auth_headers):
    mine = send(client, headers, make_csv(rows(1))).get_json()["submission_id"]
    other = auth_headers(make_party("healthwatch"))
    assert client.get(f"/api/v1/submissions/{mine}", headers=other).status_code == 404
    listed = client.get("/api/v1/submissions", headers=other).get_json()["items"]
    assert mine not in [s["id"] for s in listed]


def test_the_regulator_sees_every_submission(client, headers, make_party, auth_headers):
    mine = send(client, headers, make_csv(rows(1))).get_json()["submission_id"]
    regulator = auth_headers(make_party("regulator"))
    assert client.get(f"/api/v1/submissions/{mine}", headers=regulator).status_code == 200


def test_a_consent_time_without_an_offset_is_uk_time_summer_and_winter(client, headers):
    # 10:00 in July is British Summer Time (09:00 UTC); 10:00 in January is GMT (10:00 UTC).
    sent = rows(2)
    sent[0]["consent_obtained_at"] = "2026-07-15T10:00"
    sent[1]["consent_obtained_at"] = "2026-01-15 10:00"
    body = send(client, headers, make_csv(sent)).get_json()
    state = client.get(f"/api/v1/submissions/{body['submission_id']}", headers=headers)
    assert state.get_json()["accepted"] == 2

    listed = client.get("/api/v1/experiences", headers=headers).get_json()["items"]
    got = {r["partner_record_id"]: r["consent"]["obtained_at"] for r in listed}
    assert got["api-csv-0"].replace("+00:00", "Z") == "2026-07-15T09:00:00Z"
    assert got["api-csv-1"].replace("+00:00", "Z") == "2026-01-15T10:00:00Z"
