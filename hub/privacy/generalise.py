"""Generalisation of quasi-identifiers: dates to month, postcodes to district, ages to bands."""

from __future__ import annotations

import re
from datetime import date, datetime

# Shared with the redaction recogniser so both agree on what a postcode is.
POSTCODE_PATTERN = (
    r"(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})"
)
_POSTCODE = re.compile(POSTCODE_PATTERN)
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")

AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 15, "0-15"),
    (16, 24, "16-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 74, "65-74"),
    (75, 84, "75-84"),
    (85, None, "85+"),
)


def to_month(value: date | datetime | str) -> str:
    """Return the calendar month of a date, datetime or ISO 8601 string as ``YYYY-MM``."""
    if isinstance(value, date):  # datetime is a date too
        return f"{value.year:04d}-{value.month:02d}"
    text = value.strip()
    if _MONTH.fullmatch(text):
        return text
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date: {value!r}") from None
    return f"{parsed.year:04d}-{parsed.month:02d}"


def normalise_postcode(s: str) -> str | None:
    """Return a UK postcode upper-cased with one space before the inward code, or None."""
    compact = re.sub(r"\s+", "", s).upper()
    if not 5 <= len(compact) <= 7:
        return None
    spaced = f"{compact[:-3]} {compact[-3:]}"
    return spaced if _POSTCODE.fullmatch(spaced) else None


def postcode_district(postcode: str) -> str | None:
    """Return the outward code (district) of a UK postcode, e.g. ``SW1A``, or None if invalid."""
    normal = normalise_postcode(postcode)
    return normal.split(" ", 1)[0] if normal else None


def age_band(age: int) -> str:
    """Return the published age band an age in whole years falls in."""
    if age < 0:
        raise ValueError("age cannot be negative")
    for low, high, label in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    raise AssertionError("age bands cover every non-negative age")  # pragma: no cover
