"""Dates as UK volunteers and Excel write them in a spreadsheet: one rule, day first."""

from __future__ import annotations

import pytest

from hub.exchange.csv.dates import NotADate, parse_sheet_date, parse_sheet_time


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("14/09/2026", "2026-09-14"),
        ("14/9/26", "2026-09-14"),
        ("4/9/2026", "2026-09-04"),
        ("14-09-2026", "2026-09-14"),
        ("14.09.2026", "2026-09-14"),
        ("14-Sep-2026", "2026-09-14"),
        ("14-Sep-26", "2026-09-14"),
        ("14 September 2026", "2026-09-14"),
        ("14th Sept 2026", "2026-09-14"),
        ("14/09/2026 10:00", "2026-09-14"),
        ("2026-09-14", "2026-09-14"),
        ("2026/09/14", "2026-09-14"),
        ("2026-09-14T10:00:00Z", "2026-09-14"),
        ("Sep-26", "2026-09"),
        ("Jul-26", "2026-07"),
        ("September 2026", "2026-09"),
        ("09/2026", "2026-09"),
        ("2026-09", "2026-09"),
        ("  14/09/2026 ", "2026-09-14"),
    ],
)
def test_the_forms_people_and_excel_write_are_read_day_first(typed, iso):
    assert parse_sheet_date(typed).iso == iso


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("09/14/2026", ["'09/14/2026'", "no month 14", "14/09/2026"]),
        ("31/02/2026", ["'31/02/2026'", "no day 31", "14/09/2026 or 2026-09-14"]),
        ("Sep 26", ["'Sep 26'", "26 September or September 2026", "26/09/2026", "Sep-26"]),
        ("26-Sep", ["'26-Sep'", "no year", "14/09/2026"]),
        ("2026", ["'2026'", "only a year", "Sep-26"]),
        ("46279", ["'46279'", "Format the column as a date"]),
        ("last Tuesday", ["'last Tuesday'", "14/09/2026 or 2026-09-14"]),
    ],
)
def test_what_cannot_be_read_is_quoted_with_what_to_write(typed, says):
    with pytest.raises(NotADate) as caught:
        parse_sheet_date(typed)
    for words in says:
        assert words in caught.value.message


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        # UK wall-clock time: British Summer Time in September, GMT in December.
        ("15/09/2026 10:00", "2026-09-15T10:00:00+01:00"),
        ("15/12/2026 10:00", "2026-12-15T10:00:00+00:00"),
        ("15 September 2026 2:30pm", "2026-09-15T14:30:00+01:00"),
        ("15/09/2026", "2026-09-15T00:00:00+01:00"),
        ("2026-09-15T10:30:00Z", "2026-09-15T10:30:00Z"),
        ("2026-09-15T10:30:00+02:00", "2026-09-15T10:30:00+02:00"),
        # ISO 8601 without an offset is UK wall-clock time too, not UTC.
        ("2026-07-15T10:00:00", "2026-07-15T10:00:00+01:00"),
        ("2026-01-15 10:00", "2026-01-15T10:00:00+00:00"),
    ],
)
def test_a_date_and_time_is_uk_time(typed, iso):
    assert parse_sheet_time(typed) == iso


@pytest.mark.parametrize("typed", ["15/09/2026 25:00", "Sep-26", "soon"])
def test_a_time_that_cannot_be_read_says_what_to_write(typed):
    with pytest.raises(NotADate) as caught:
        parse_sheet_time(typed)
    assert f"'{typed}'" in caught.value.message
    assert "15/09/2026 10:00" in caught.value.message
