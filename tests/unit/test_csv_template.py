"""The CSV template: header checks, row conversion and formula-safe writing."""

from __future__ import annotations

import csv
import io

import pytest

from hub.exchange.csv.template import (
    COLUMNS,
    EXAMPLE_ROWS,
    check_header,
    column_of,
    csv_line,
    example_csv,
    parse_list,
    parse_yes_no,
    row_to_record,
    safe_cell,
    template_csv,
)


def test_the_template_is_the_contract_header():
    assert template_csv().strip() == ",".join(COLUMNS)
    assert COLUMNS[0] == "partner_record_id" and COLUMNS[-1] == "disability"
    assert len(COLUMNS) == 28


def test_a_misspelt_column_gets_a_did_you_mean_and_a_missing_one_is_named():
    header = [c for c in COLUMNS if c != "narrative"] + ["narative"]
    problems = check_header(header)
    messages = [e["message"] for e in problems.errors]
    assert "Unknown column 'narative'. Did you mean 'narrative'?" in messages
    assert "Missing column 'narrative': the template requires it." in messages
    assert all(e["row"] == 1 for e in problems.errors)


@pytest.mark.parametrize(("separator", "called"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_by_something_else_than_commas_is_told_so(separator, called):
    problems = check_header([separator.join(COLUMNS)])
    assert [e["message"] for e in problems.errors] == [
        f"The columns are separated by {called}, not commas. Save it from your spreadsheet as "
        "\u201cCSV UTF-8 (Comma delimited)\u201d and upload it again."
    ]


@pytest.mark.parametrize("header", [[], [""], ["", " "]])
def test_a_file_with_no_header_is_called_empty(header):
    messages = [e["message"] for e in check_header(header).errors]
    assert len(messages) == 1 and messages[0].startswith("The file is empty")


def test_an_unknown_column_with_no_likeness_has_no_guess():
    problems = check_header([*COLUMNS, "favourite_colour"])
    assert [e["message"] for e in problems.errors] == ["Unknown column 'favourite_colour'."]


def test_optional_columns_may_be_left_out():
    assert check_header(
        [
            "partner_record_id",
            "experience_date",
            "narrative",
            "consent_regulator_use",
            "location_id",
        ]
    ).ok


@pytest.mark.parametrize(
    ("cell", "answer"),
    [
        ("yes", True),
        ("Y", True),
        ("true", True),
        ("1", True),
        ("no", False),
        ("N", False),
        ("FALSE", False),
        ("0", False),
        ("", None),
        ("  ", None),
    ],
)
def test_yes_no_cells(cell, answer):
    assert parse_yes_no(cell) is answer


def test_a_yes_no_cell_that_is_neither_is_refused():
    with pytest.raises(ValueError):
        parse_yes_no("maybe")


def test_list_cells_split_on_semicolons():
    assert parse_list(" safe; caring ;;") == ["safe", "caring"]


def test_a_row_becomes_a_contract_record():
    record, problems = row_to_record(
        {
            "partner_record_id": "p-1",
            "service_name": "Meadow View",
            "service_postcode": "LS1 4AP",
            "experience_date": "2026-08",
            "overall_experience": "4",
            "key_questions": "safe;caring",
            "narrative": "Meals went cold.",
            "safeguarding_concern": "yes",
            "safeguarding_categories": "neglect",
            "consent_regulator_use": "y",
            "consent_feedback": "1",
            "consent_publish_anonymised": "no",
            "age_band": "65-74",
        }
    )
    assert problems == []
    assert record == {
        "partner_record_id": "p-1",
        "experience_date": "2026-08",
        "narrative": "Meals went cold.",
        "service": {"name": "Meadow View", "postcode": "LS1 4AP"},
        "overall_experience": 4,
        "key_questions": ["safe", "caring"],
        "safeguarding": {"concern": True, "categories": ["neglect"]},
        "consent": {"scopes": ["regulator_use", "feedback"]},
        "equality": {"age_band": "65-74"},
    }


def test_unreadable_cells_are_named_by_column():
    _, problems = row_to_record({"overall_experience": "four", "consent_feedback": "perhaps"})
    assert problems == [
        ("overall_experience", "Enter a whole number from 1 to 5."),
        ("consent_feedback", "Enter yes or no."),
    ]


@pytest.mark.parametrize(
    ("path", "column"),
    [
        ("consent.scopes", "consent_regulator_use"),
        ("service.postcode", "service_postcode"),
        ("key_questions[2]", "key_questions"),
        ("equality.sex", "sex"),
        ("safeguarding.categories[0]", "safeguarding_categories"),
        ("narrative", "narrative"),
        ("_schema", ""),
    ],
)
def test_error_paths_map_to_columns(path, column):
    assert column_of(path) == column


@pytest.mark.parametrize("danger", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx"])
def test_cells_that_look_like_formulas_are_written_as_text(danger):
    assert safe_cell(danger) == "'" + danger
    [row] = list(csv.reader(io.StringIO(csv_line(["ok", danger]))))
    assert row == ["ok", "'" + danger]


def test_ordinary_cells_are_left_alone():
    assert safe_cell("Riverside 5") == "Riverside 5"
    assert safe_cell(None) == ""
    assert safe_cell(3) == "3"


def test_the_example_file_has_a_row_per_example():
    rows = list(csv.DictReader(io.StringIO(example_csv())))
    assert len(rows) == len(EXAMPLE_ROWS)
    assert rows[1]["service_name"] == "Meadow View Care Home"


def test_vocabulary_cells_are_read_whatever_their_case():
    row = {**EXAMPLE_ROWS[0], "sentiment": "Negative", "key_questions": "Caring; SAFE"}
    row |= {"respondent_role": "Patient", "sex": "Female", "narrative": "Kept As Typed"}
    record, problems = row_to_record(row)
    assert problems == []
    assert (record["sentiment"], record["key_questions"]) == ("negative", ["caring", "safe"])
    assert (record["respondent_role"], record["equality"]["sex"]) == ("patient", "female")
    assert record["narrative"] == "Kept As Typed"


def test_rows_with_the_same_cells_read_alike_and_share_nothing():
    # The same codes, dates and lists row after row (as files are): each row's record is its
    # own, so a later step changing one record's list leaves the next row's alone.
    row = {**EXAMPLE_ROWS[0], "themes": "Staff-Attitude; communication"}
    first, _ = row_to_record(row)
    first["themes"].append("changed")
    first["key_questions"].clear()
    second, problems = row_to_record(dict(row))
    assert problems == []
    assert second["themes"] == ["staff-attitude", "communication"]
    assert second["key_questions"] == parse_list(EXAMPLE_ROWS[0]["key_questions"].lower())
    assert second["experience_date"] == first["experience_date"]


def test_a_bad_cell_is_reported_every_time_it_is_read():
    row = {**EXAMPLE_ROWS[0], "experience_date": "31/02/2026"}
    for _ in range(2):
        _, problems = row_to_record(row)
        assert [column for column, _ in problems] == ["experience_date"]
