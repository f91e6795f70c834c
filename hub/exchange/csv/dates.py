"""Dates in spreadsheet cells, as people in the UK and Excel write them: the one rule the CSV
template reads dates by (the portal's upload and ``POST /submissions/csv`` alike).

Day first, always: ``14/09/2026``, ``14/9/26``, ``14-09-2026``, ``14.09.2026``, ``14-Sep-2026``,
``14 September 2026``, ``14th Sept 2026``; a month alone as ``09/2026``, ``Sep-26`` (Excel's
``mmm-yy``), ``Sep 2026`` or ``September 2026``; a date and time as ``14/09/2026 10:00`` (UK
time); and ISO 8601 (``2026-09-14``, ``2026-09``, ``2026-09-14T10:00:00Z``) as the API takes it; an
ISO date and time without an offset (``2026-09-14T10:00``) is UK time too, never UTC.
A two-digit year is 20xx up to 29 and 19xx from 30, as Excel reads it.

A cell is read into the record's ISO form, or else into a message that quotes what was typed
and shows what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")

DATE_EXAMPLES = "14/09/2026 or 2026-09-14"
MONTH_EXAMPLES = "09/2026, Sep-26 or 2026-09"
TIME_EXAMPLES = "15/09/2026 10:00 or 2026-09-15T10:00:00Z"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month_name>[a-z]+)\.?"
_SEP = r"[/\-. ]"

_ISO_DAY = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_ISO_MONTH = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$")
_YEAR_FIRST = re.compile(r"^(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})$")
_NUMERIC_DAY = re.compile(rf"^(?P<d>\d{{1,2}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<y>\d{{2}}|\d{{4}})$")
_NAMED_DAY = re.compile(
    rf"^(?P<d>\d{{1,2}})(?:st|nd|rd|th)?{_SEP}+{_MONTH},?{_SEP}+(?P<y>\d{{2}}|\d{{4}})$"
)
_MONTH_DAY_YEAR = re.compile(
    rf"^{_MONTH}{_SEP}+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,{_SEP}*(?P<y>\d{{4}})$"
)
_NUMERIC_MONTH = re.compile(r"^(?P<m>\d{1,2})[/\-.](?P<y>\d{4})$")
# Excel's ``mmm-yy`` (``Sep-26``) or a month and a four-digit year; ``Sep 26`` is ambiguous.
_NAMED_MONTH = re.compile(rf"^{_MONTH}(?:-(?P<yy>\d{{2}})|{_SEP}+(?P<y>\d{{4}}))$")
_NAMED_MONTH_OR_DAY = re.compile(rf"^{_MONTH} (?P<n>\d{{1,2}})$")
_NAMED_NO_YEAR = re.compile(rf"^(?:\d{{1,2}}(?:st|nd|rd|th)?{_SEP}+)?(?P<month_name>[a-z]+)\.?$")
_NUMERIC_NO_YEAR = re.compile(rf"^\d{{1,2}}{_SEP}\d{{1,2}}$")
_YEAR_ONLY = re.compile(r"^\d{4}$")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_WITH_CLOCK = re.compile(
    r"^(?P<day>.+?)[ t,]+(?P<clock>(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r" ?(?P<ampm>am|pm)?)$"
)
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}")


@dataclass(frozen=True)
class SheetDate:
    """A cell read as a day (``precision == "day"``) or a month (``"month"``)."""

    day: date
    precision: str

    @property
    def iso(self) -> str:
        return self.day.isoformat() if self.precision == "day" else f"{self.day:%Y-%m}"


class NotADate(ValueError):
    """A cell that is not a date the rule can read; ``message`` says what to write instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    two = int(text)
    return 2000 + two if two < 30 else 1900 + two


def _month_named(name: str, typed: str) -> int:
    month = _MONTHS.get(name.lower())
    if month is None:
        raise NotADate(f"'{typed}' is not a date we can read. Write it as {DATE_EXAMPLES}.")
    return month


def _day(typed: str, year: int, month: int, day: int) -> SheetDate:
    if not 1 <= month <= 12:
        if 1 <= day <= 12 and 1 <= month <= 31:
            meant = date(year, day, 1).strftime("%B")
            raise NotADate(
                f"'{typed}' cannot be day/month/year: there is no month {month}. If you meant "
                f"{month} {meant} {year}, write {month:02d}/{day:02d}/{year} (day first) or "
                f"{year}-{day:02d}-{month:02d}."
            )
        raise NotADate(f"'{typed}' is not a real date. Write it as {DATE_EXAMPLES}.")
    try:
        return SheetDate(date(year, month, day), "day")
    except ValueError:
        raise NotADate(
            f"'{typed}' is not a real date: {date(year, month, 1):%B %Y} has no day {day}. "
            f"Write it as {DATE_EXAMPLES}."
        ) from None


def _month(typed: str, year: int, month: int) -> SheetDate:
    if not 1 <= month <= 12:
        raise NotADate(f"'{typed}' has no month {month}. Write the month as {MONTH_EXAMPLES}.")
    return SheetDate(date(year, month, 1), "month")


def parse_sheet_date(value: str) -> SheetDate:
    """A cell's date (day or month); raises :class:`NotADate` with a message otherwise."""
    typed = value.strip()
    text = re.sub(r"\s+", " ", typed).lower()
    if iso := _ISO_TIME.match(text):
        text = text[: iso.end()].split("t")[0].split(" ")[0]
    elif clock := _WITH_CLOCK.match(text):
        text = clock["day"]  # a date and time: the day is what counts
    if m := _ISO_DAY.match(text) or _YEAR_FIRST.match(text):
        return _day(typed, int(m["y"]), int(m["m"]), int(m["d"]))
    if m := _ISO_MONTH.match(text):
        return _month(typed, int(m["y"]), int(m["m"]))
    if m := _NUMERIC_DAY.match(text):
        return _day(typed, _year(m["y"]), int(m["m"]), int(m["d"]))
    if m := _NAMED_DAY.match(text) or _MONTH_DAY_YEAR.match(text):
        return _day(typed, _year(m["y"]), _month_named(m["month_name"], typed), int(m["d"]))
    if m := _NUMERIC_MONTH.match(text):
        return _month(typed, int(m["y"]), int(m["m"]))
    if (m := _NAMED_MONTH.match(text)) and m["month_name"] in _MONTHS:
        return _month(typed, _year(m["y"] or m["yy"]), _MONTHS[m["month_name"]])
    raise NotADate(_why_not(typed, text))


def _why_not(typed: str, text: str) -> str:
    if not text:
        return f"Enter a date, as {DATE_EXAMPLES}."
    named = _NAMED_NO_YEAR.match(text)
    if (named and named["month_name"] in _MONTHS) or _NUMERIC_NO_YEAR.match(text):
        return f"'{typed}' has no year. Write the whole date, as {DATE_EXAMPLES}."
    if (m := _NAMED_MONTH_OR_DAY.match(text)) and m["month_name"] in _MONTHS:
        month = _MONTHS[m["month_name"]]
        number = int(m["n"])
        name = date(2000, month, 1).strftime("%B")
        year = _year(m["n"])
        return (
            f"'{typed}' could be {number} {name} or {name} {year}. For a day, write it whole, "
            f"as {number:02d}/{month:02d}/{year}; for the month, write {name[:3]}-{number:02d} "
            f"or {year}-{month:02d}."
        )
    if _YEAR_ONLY.match(text):
        return f"'{typed}' is only a year. Give the month too, as {MONTH_EXAMPLES}."
    if _SERIAL.match(text):
        return (
            f"'{typed}' is a spreadsheet's number for a date, not a date. Format the column "
            f"as a date (or as text) and write it as {DATE_EXAMPLES}."
        )
    return f"'{typed}' is not a date we can read. Write it as {DATE_EXAMPLES}."


def _iso_in_uk(typed: str) -> str:
    """An ISO 8601 date and time: with an offset (or ``Z``) it passes unchanged; without one it
    is UK wall-clock time, as the person wrote it (BST in summer), not UTC."""
    try:
        moment = datetime.fromisoformat(typed)
    except ValueError:
        return typed  # the record's own rules word what is wrong with it
    if moment.tzinfo is not None:
        return typed
    return moment.replace(tzinfo=UK).isoformat()


def parse_sheet_time(value: str) -> str:
    """A cell's moment (``consent_obtained_at``) as ISO 8601. A day alone, or a day and a clock
    time, become an aware time in UK time (Europe/London: BST in summer, GMT in winter), as the
    person wrote it; so does an ISO 8601 date and time without an offset. One with an offset
    passes unchanged."""
    typed = value.strip()
    text = re.sub(r"\s+", " ", typed).lower()
    if _ISO_TIME.match(text):
        return _iso_in_uk(typed)
    m = _WITH_CLOCK.match(text)
    day_part = m["day"] if m else text
    try:
        found = parse_sheet_date(day_part)
    except NotADate:
        raise NotADate(
            f"'{typed}' is not a date and time we can read. Write it as {TIME_EXAMPLES}."
        ) from None
    if found.precision != "day":
        raise NotADate(f"'{typed}' is only a month. Write the day too, as {TIME_EXAMPLES}.")
    at = time(0, 0)
    if m:
        hour = int(m["h"])
        if m["ampm"]:
            hour = hour % 12 + (12 if m["ampm"] == "pm" else 0)
        try:
            at = time(hour, int(m["mi"]), int(m["s"] or 0))
        except ValueError:
            raise NotADate(
                f"'{typed}' has a time that cannot be. Write it as {TIME_EXAMPLES}."
            ) from None
    return datetime.combine(found.day, at, tzinfo=UK).isoformat()
