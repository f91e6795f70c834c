"""Spreadsheets as volunteers save them from Excel: UK dates are read, the hub's annotated file
goes back in unchanged, and every CSV the hub serves starts with a UTF-8 byte-order mark."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from hub.exchange.csv.template import COLUMNS, csv_line
from tests.api.test_portal_upload import good, make_csv, post_file, signed_in

BOM = b"\xef\xbb\xbf"
URL = "/api/v1/submissions/csv"


@pytest.fixture
def partner(make_party):
    return make_party("charity")


def upload(client, headers, data: bytes) -> dict:
    answer = client.post(
        URL,
        data={"file": (io.BytesIO(data), "from-excel.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 202, answer.get_json()
    state = client.get(f"/api/v1/submissions/{answer.get_json()['submission_id']}", headers=headers)
    return state.get_json()


def test_uk_and_excel_dates_are_taken_through_the_api(client, partner, auth_headers, make_record):
    headers = auth_headers(partner)
    forms = ["14/09/2026", "14/9/26", "14-Sep-2026", "14 September 2026", "Sep-26", "Jul-26"]
    rows = [
        good(n, partner_record_id=f"excel-{n}", experience_date=typed, consent_obtained_at="")
        for n, typed in enumerate(forms)
    ]
    rows[0]["consent_obtained_at"] = "15/09/2026 10:00"

    report = upload(client, headers, make_csv(rows))

    assert report["errors"] == []
    assert (report["accepted"], report["rejected"]) == (len(forms), 0)
    records = client.get("/api/v1/experiences?limit=50", headers=headers).get_json()["items"]
    dates = {r["partner_record_id"]: r["experience_date"] for r in records}
    assert dates == {
        "excel-0": "2026-09-14",
        "excel-1": "2026-09-14",
        "excel-2": "2026-09-14",
        "excel-3": "2026-09-14",
        "excel-4": "2026-09",
        "excel-5": "2026-07",
    }
    first = next(r for r in records if r["partner_record_id"] == "excel-0")
    assert first["consent"]["obtained_at"].startswith("2026-09-15T09:00:00")


def test_a_date_that_cannot_be_read_says_what_was_typed_and_what_to_write(
    client, partner, auth_headers
):
    rows = [good(0, experience_date="09/14/2026"), good(1, consent_obtained_at="15/09/2026 25:00")]

    report = upload(client, auth_headers(partner), make_csv(rows))

    by_row = {(e["row"], e["column"]): e["message"] for e in report["errors"]}
    assert "'09/14/2026'" in by_row[(2, "experience_date")]
    assert "14/09/2026" in by_row[(2, "experience_date")]
    assert "'15/09/2026 25:00'" in by_row[(3, "consent_obtained_at")]


def _table(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _bytes(table: list[list[str]]) -> bytes:
    return "".join(csv_line(row) for row in table).encode()


def test_the_annotated_file_goes_back_in_unchanged_and_then_fixed(app, make_user):
    portal = signed_in(app, make_user())
    rows = [good(0), good(1, experience_date="31/02/2026"), good(2)]
    first = portal.get(post_file(portal, make_csv(rows)).headers["Location"] + "/annotated.csv")
    annotated = _table(first.get_data())
    assert annotated[0][-1] == "errors" and "31/02/2026" in annotated[2][-1]

    again = portal.get(
        post_file(portal, first.get_data(), name="people-report.csv").headers["Location"]
        + "/annotated.csv"
    )
    # Unchanged: the header is fine, the taken rows are replays, the bad one is still reported.
    second = _table(again.get_data())
    assert second[0] == annotated[0]
    assert [row[-1] for row in second[1:]] == [row[-1] for row in annotated[1:]]

    annotated[2][COLUMNS.index("experience_date")] = "28/02/2026"
    fixed = post_file(portal, _bytes(annotated), name="people-report-fixed.csv")
    page = portal.get(fixed.headers["Location"]).get_data(as_text=True)
    submissions = portal.get("/portal/submissions").get_data(as_text=True)
    assert "people-report-fixed.csv" in submissions
    third = _table(portal.get(fixed.headers["Location"] + "/annotated.csv").get_data())
    assert [row[-1] for row in third[1:]] == ["", "", ""]
    assert "Completed" in page


def test_the_annotated_file_ends_with_the_last_row_not_the_blank_lines_after_it(app, make_user):
    portal = signed_in(app, make_user())
    rows = [good(0), good(1, experience_date="31/02/2026")]
    saved = make_csv(rows).decode() + "\r\n" + "," * 27 + "\r\n"  # as Excel ends it
    sent = post_file(portal, BOM + saved.encode(), name="from-excel.csv")
    annotated = _table(portal.get(sent.headers["Location"] + "/annotated.csv").get_data())
    assert [row[0] for row in annotated] == ["partner_record_id", "portal-0", "portal-1"]


def test_the_annotated_file_counts_replays_and_the_fixed_row(client, partner, auth_headers):
    headers = auth_headers(partner)
    rows = [good(0), good(1, experience_date="31/02/2026"), good(2)]
    data = make_csv(rows)
    upload(client, headers, data)
    table = list(csv.reader(io.StringIO(data.decode())))
    annotated = [[*table[0], "errors"]] + [
        [*row, "experience_date: not a real date" if n == 1 else ""]
        for n, row in enumerate(table[1:])
    ]

    unchanged = upload(client, headers, _bytes(annotated))
    assert (unchanged["accepted"], unchanged["replayed"], unchanged["rejected"]) == (0, 2, 1)

    annotated[2][COLUMNS.index("experience_date")] = "28/02/2026"
    fixed = upload(client, headers, _bytes(annotated))
    assert (fixed["accepted"], fixed["replayed"], fixed["rejected"]) == (1, 2, 0)


def test_every_csv_the_hub_serves_starts_with_a_byte_order_mark(
    app, client, make_user, make_party, auth_headers
):
    portal = signed_in(app, make_user())
    where = post_file(portal, make_csv([good(0, narrative="Café staff were kind; £5 parking")]))
    served = {
        "template": portal.get("/portal/template.csv"),
        "example": portal.get("/portal/example.csv"),
        "annotated": portal.get(where.headers["Location"] + "/annotated.csv"),
    }
    auditor = signed_in(app, make_user(role="auditor", kind="auditor"))
    served["portal audit export"] = auditor.get("/portal/audit/export.csv")
    served["api audit export"] = client.get(
        "/api/v1/audit/events",
        headers={**auth_headers(make_party("auditor"), "audit:read"), "Accept": "text/csv"},
    )
    for name, answer in served.items():
        assert answer.status_code == 200, name
        data = answer.get_data()
        assert data.startswith(BOM), name
        assert not data[3:].startswith(BOM), name
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8", name
    assert "£5 parking" in served["annotated"].get_data().decode("utf-8-sig")


def test_a_report_whose_file_storage_lost_is_a_plain_not_found_page(app, make_user, db_session):
    from hub.exchange.records.models import Submission

    portal = signed_in(app, make_user())
    sent = post_file(portal, make_csv([good(0, experience_date="31/02/2026")]))
    submission = db_session.get(Submission, uuid.UUID(sent.headers["Location"].rsplit("/", 1)[1]))
    app.extensions["hub"].storage.delete(submission.storage_key)

    answer = portal.get(sent.headers["Location"] + "/annotated.csv")
    assert answer.status_code == 404
    assert "no longer holds this file" in answer.get_data(as_text=True)
