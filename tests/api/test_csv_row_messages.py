"""Row errors a volunteer can act on: what was typed and how to fix it, in plain English; equality
answers dropped for want of consent are a warning; the help page explains every column and each
error links to it."""

from __future__ import annotations

import re

import pytest

from hub.exchange.csv.template import COLUMNS, REQUIRED_COLUMNS
from tests.api.test_csv_spreadsheet_files import upload
from tests.api.test_portal_upload import good, make_csv, post_file, signed_in

JARGON = ("ODS", "Missing data for required field", "Not a known value", "_schema")


@pytest.fixture
def partner(make_party):
    return make_party("charity")


def messages_by_cell(report) -> dict[tuple[int, str], str]:
    return {(e["row"], e["column"]): e["message"] for e in report["errors"]}


def test_each_row_error_says_what_was_typed_and_how_to_fix_it(client, partner, auth_headers):
    rows = [
        good(0, condition_areas="Mental Health"),
        good(1, themes="access, waiting times"),
        good(2, partner_record_id="", narrative=""),
        good(3, location_id="Riverside", service_name="", service_postcode=""),
        good(4, location_id="", service_name="", service_postcode=""),
        good(5, service_type="GP surgery", sentiment="Postive"),
        good(6, consent_regulator_use="no"),
        good(7, overall_experience="7", safeguarding_concern="maybe"),
    ]

    report = upload(client, auth_headers(partner), make_csv(rows))
    said = messages_by_cell(report)

    assert "'Mental Health'" in said[(2, "condition_areas")]
    assert "Did you mean mental-health?" in said[(2, "condition_areas")]
    assert "put ; between them" in said[(3, "themes")]
    assert "access;waiting-times" in said[(3, "themes")]
    assert "your own reference" in said[(4, "partner_record_id")]
    assert "in their own words" in said[(4, "narrative")]
    assert "'Riverside' is not a location id" in said[(5, "location_id")]
    assert "service_name" in said[(6, "location_id")]
    assert "'GP surgery'" in said[(7, "service_type")]
    assert "Did you mean positive?" in said[(7, "sentiment")]
    assert "Enter yes in consent_regulator_use" in said[(8, "consent_regulator_use")]
    assert "'7' is not on the scale" in said[(9, "overall_experience")]
    assert "'maybe' is not yes or no" in said[(9, "safeguarding_concern")]
    for message in said.values():
        for word in JARGON:
            assert word not in message, message


def test_equality_answers_are_never_quoted_back(client, partner, auth_headers):
    rows = [good(0, consent_equality_monitoring="yes", sex="Woman", age_band="35-44")]

    report = upload(client, auth_headers(partner), make_csv(rows))

    message = messages_by_cell(report)[(2, "sex")]
    assert "Woman" not in message
    assert "female" in message


def test_equality_answers_dropped_without_consent_are_a_row_warning(client, partner, auth_headers):
    rows = [
        good(0, consent_equality_monitoring="no", sex="female", age_band="35-44"),
        good(1, consent_equality_monitoring="yes", sex="female", age_band="35-44"),
    ]

    report = upload(client, auth_headers(partner), make_csv(rows))

    assert (report["accepted"], report["rejected"], report["errors"]) == (2, 0, [])
    equality = [w for w in report["warnings"] if w["column"] == "consent_equality_monitoring"]
    assert [w["row"] for w in equality] == [2]
    assert "not kept" in equality[0]["message"]


def test_the_help_page_explains_every_column_and_errors_link_to_it(app, make_user):
    portal = signed_in(app, make_user())

    upload_page = portal.get("/portal/upload").get_data(as_text=True)
    assert 'href="/portal/help/spreadsheet"' in upload_page

    page = portal.get("/portal/help/spreadsheet")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for column in COLUMNS:
        assert f'id="column-{column}"' in html, column
    assert html.count(">Required</dd>") == len(REQUIRED_COLUMNS)
    assert "<code>mental-health</code>" in html and "Mental health" in html
    assert "<code>neglect</code>" in html and "Neglect and acts of omission" in html
    assert 'href="/portal/example.csv"' in html
    assert "put ; between them" in html

    done = post_file(portal, make_csv([good(0, condition_areas="Mental Health")]))
    report = portal.get(done.headers["Location"]).get_data(as_text=True)
    assert "Did you mean mental-health?" in report
    assert re.search(r'href="/portal/help/spreadsheet#column-condition_areas"', report)


def test_the_portal_shows_the_equality_warning(app, make_user):
    portal = signed_in(app, make_user())
    done = post_file(portal, make_csv([good(0, consent_equality_monitoring="no", sex="female")]))
    html = portal.get(done.headers["Location"]).get_data(as_text=True)
    assert "Taken, with a warning" in html
    assert "were not kept" in html
