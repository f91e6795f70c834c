"""Fuzzing CSV uploads: whatever bytes arrive, the hub answers and reports, never crashes.

An upload is accepted (202) or refused with a problem (413 over a limit); its submission then
ends ``completed`` or ``failed`` with row-level errors that name a row and a column of the file.
Valid rows written by any CSV writer, in any of the encodings the template allows, come back
with the same narrative.
"""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, csv_line

URL = "/api/v1/submissions/csv"
FUZZ = settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text a spreadsheet might hold: any printable character, quotes, separators, line breaks.
cell_text = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from([",", '"', "\r", "\n", ";"]),
    max_size=40,
)


@pytest.fixture
def partner(make_party):
    return make_party("charity")


@pytest.fixture
def partner_headers(partner, auth_headers):
    return auth_headers(partner)


@pytest.fixture
def regulator_headers(make_party, auth_headers):
    return auth_headers(make_party("regulator"), scope="regulator:read")


def upload(client, headers, data: bytes):
    return client.post(
        URL,
        data={"file": (io.BytesIO(data), "fuzz.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )


def assert_reported(client, headers, response, header: list[str] | None = None) -> dict:
    assert response.status_code in (202, 413), response.get_data(as_text=True)[:300]
    if response.status_code == 413:
        assert response.get_json()["code"] == "payload-too-large"
        return {}
    state = client.get(
        f"/api/v1/submissions/{response.get_json()['submission_id']}", headers=headers
    )
    assert state.status_code == 200
    body = state.get_json()
    assert body["status"] in ("completed", "failed"), body
    for error in body["errors"]:
        assert isinstance(error["row"], int) and error["row"] >= 0
        assert error["message"]
        if header is not None and error["row"] >= 2 and error["column"]:
            assert error["column"] in [*COLUMNS, *header], error
    return body


@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_are_answered_and_reported(client, partner_headers, data):
    assert_reported(client, partner_headers, upload(client, partner_headers, data))


@FUZZ
@given(
    header=st.lists(st.sampled_from(COLUMNS) | cell_text, min_size=1, max_size=30),
    rows=st.lists(st.lists(cell_text, max_size=32), max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_any_table_in_any_encoding_is_answered_row_by_row(
    client, partner_headers, header, rows, encoding
):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding, errors="replace")
    assert_reported(client, partner_headers, upload(client, partner_headers, data), header)


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


narratives = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from(["\n", ","]),
    min_size=1,
    max_size=300,
).filter(lambda s: s.strip())


@FUZZ
@given(narrative=narratives, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_a_valid_row_round_trips_with_its_narrative(
    client, partner_headers, regulator_headers, narrative, encoding
):
    if encoding == "cp1252":
        narrative = narrative.encode("cp1252", errors="ignore").decode("cp1252")
        # Bytes that also read as UTF-8 are UTF-8 (the template's encoding): a cp1252 file is
        # recognised only when it is not valid UTF-8.
        assume(narrative.strip() and not _valid_utf8(narrative.encode("cp1252")))
    record_id = f"fuzz-{uuid.uuid4().hex[:12]}"
    row = dict(EXAMPLE_ROWS[0], partner_record_id=record_id, narrative=narrative)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([row.get(c, "") for c in COLUMNS])
    data = out.getvalue().encode(encoding)

    body = assert_reported(client, partner_headers, upload(client, partner_headers, data))
    assert (body["status"], body["accepted"], body["rejected"]) == ("completed", 1, 0), body[
        "errors"
    ]
    listing = client.get("/api/v1/experiences?limit=500", headers=regulator_headers).get_json()
    [stored] = [r for r in listing["items"] if r["partner_record_id"] == record_id]
    full = client.get(f"/api/v1/experiences/{stored['id']}", headers=regulator_headers).get_json()
    assert full["narrative"] == narrative.strip()


def test_a_header_cell_no_database_can_hold_is_reported_not_a_server_error(client, partner_headers):
    """PostgreSQL's JSONB refuses NUL: the report shows such a column name with U+FFFD."""
    header = [*COLUMNS, "notes\x00", "x" * 5000]
    data = (",".join(header) + "\r\n").encode()
    body = assert_reported(client, partner_headers, upload(client, partner_headers, data))
    assert body["status"] == "failed"
    messages = [e["message"] for e in body["errors"]]
    assert "Unknown column 'notes\ufffd'." in messages
    assert all("\x00" not in m and len(m) < 300 for m in messages)


def test_cells_no_database_can_hold_are_reported_not_a_server_error(client, partner_headers):
    row = {column: f"{column}\x00\udcff;x\x00" for column in COLUMNS}
    text = csv_line(COLUMNS) + csv_line(row[c] for c in COLUMNS)
    data = text.encode("utf-8", "surrogatepass")
    body = assert_reported(client, partner_headers, upload(client, partner_headers, data))
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert all("\x00" not in e["message"] for e in body["errors"])
