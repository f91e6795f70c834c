"""Generalising quasi-identifiers: dates to month, postcodes to district, ages to bands."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.privacy.generalise import age_band, normalise_postcode, postcode_district, to_month


@pytest.mark.parametrize(
    "value",
    [date(2024, 3, 12), datetime(2024, 3, 31, 23, 59, tzinfo=UTC), "2024-03-12",
     "2024-03-12T10:00:00Z", "2024-03-12T10:00:00+01:00", "2024-03", " 2024-03-01 "],
)  # fmt: skip
def test_to_month(value: date | str) -> None:
    assert to_month(value) == "2024-03"


@pytest.mark.parametrize("value", ["12/03/2024", "March 2024", "2024-13", ""])
def test_to_month_refuses_what_is_not_an_iso_date(value: str) -> None:
    with pytest.raises(ValueError):
        to_month(value)


@pytest.mark.parametrize(
    ("raw", "normal", "district"),
    [("SW1A 1AA", "SW1A 1AA", "SW1A"), ("SW1A1AA", "SW1A 1AA", "SW1A"),
     ("sw1a1aa", "SW1A 1AA", "SW1A"), ("m1 1ae", "M1 1AE", "M1"), ("B33 8TH", "B33 8TH", "B33"),
     ("CR2 6XH", "CR2 6XH", "CR2"), ("DN55 1PT", "DN55 1PT", "DN55"), ("gir0aa", "GIR 0AA", "GIR"),
     (" EC1A  1BB ", "EC1A 1BB", "EC1A")],
)  # fmt: skip
def test_postcodes_normalise_and_generalise_to_district(
    raw: str, normal: str, district: str
) -> None:
    assert normalise_postcode(raw) == normal
    assert postcode_district(raw) == district


@pytest.mark.parametrize("raw", ["", "SW1A", "QW1 1AA", "SW1A 1AAA", "12345", "SW1A 1CA", "hello"])
def test_invalid_postcodes_give_none(raw: str) -> None:
    assert normalise_postcode(raw) is None
    assert postcode_district(raw) is None


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, "0-15"), (15, "0-15"), (16, "16-24"), (24, "16-24"), (25, "25-34"), (34, "25-34"),
     (35, "35-44"), (44, "35-44"), (45, "45-54"), (54, "45-54"), (55, "55-64"), (64, "55-64"),
     (65, "65-74"), (74, "65-74"), (75, "75-84"), (84, "75-84"), (85, "85+"), (107, "85+")],
)  # fmt: skip
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band


def test_negative_age_is_refused() -> None:
    with pytest.raises(ValueError):
        age_band(-1)
