"""JSON bodies have their own limit (``HUB_JSON_MAX_BYTES``), apart from the CSV upload's: a
large JSON body is refused with 413 ``payload-too-large`` before it is parsed, while a CSV file
of the same size is still taken."""

from __future__ import annotations

import io
import json

from hub.config import Settings
from hub.exchange.records.schemas import MAX_NARRATIVE
from tests.api.test_submissions_csv import make_csv, rows
from tests.factories import experience_record

LIMIT = 4096


def test_a_json_body_over_its_limit_is_a_payload_too_large_problem(
    make_app, make_party, auth_headers, make_record
):
    client = make_app(json_max_bytes=LIMIT).test_client()
    headers = auth_headers(make_party("charity"))
    body = {"records": [make_record() for _ in range(10)]}
    assert len(json.dumps(body)) > LIMIT

    answer = client.post("/api/v1/experiences/batch", json=body, headers=headers)

    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["code"] == "payload-too-large"
    assert f"{LIMIT} bytes" in answer.get_json()["detail"]
    small = client.post("/api/v1/experiences", json=make_record(), headers=headers)
    assert small.status_code == 201


def test_a_csv_upload_larger_than_the_json_limit_is_still_taken(make_app, make_party, auth_headers):
    client = make_app(json_max_bytes=LIMIT).test_client()
    headers = auth_headers(make_party("charity"))
    data = make_csv(rows(40))
    assert len(data) > LIMIT

    answer = client.post(
        "/api/v1/submissions/csv",
        data={"file": (io.BytesIO(data), "people.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )

    assert answer.status_code == 202


def test_the_default_limit_holds_the_largest_batch_and_no_more_than_a_little_over():
    settings = Settings()
    biggest = json.dumps(
        {
            "records": [
                experience_record(partner_record_id=f"r-{n:06d}", narrative="x" * MAX_NARRATIVE)
                for n in range(settings.batch_max_records)
            ]
        }
    ).encode()

    assert len(biggest) <= settings.json_max_bytes <= 1.25 * len(biggest)
    assert settings.json_max_bytes < settings.csv_max_bytes
