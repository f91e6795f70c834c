"""The CSV template of CONTRACT §5: its columns, header checks and row → record conversion.

Pure rules: no I/O beyond building text. Every CSV the hub writes goes through :func:`safe_cell`
so a spreadsheet never runs a cell as a formula.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from hub.exchange.csv.dates import NotADate, parse_sheet_date, parse_sheet_time
from hub.exchange.records.validation import storable
from hub.vocab.kinds import is_valid_value

_T = TypeVar("_T")

COLUMNS: tuple[str, ...] = (
    "partner_record_id",
    "location_id",
    "service_name",
    "service_postcode",
    "service_type",
    "experience_date",
    "respondent_role",
    "collection_channel",
    "overall_experience",
    "sentiment",
    "key_questions",
    "condition_areas",
    "themes",
    "narrative",
    "safeguarding_concern",
    "safeguarding_immediate_risk",
    "safeguarding_categories",
    "consent_regulator_use",
    "consent_publish_anonymised",
    "consent_feedback",
    "consent_equality_monitoring",
    "consent_obtained_at",
    "consent_method",
    "consent_lawful_basis",
    "age_band",
    "sex",
    "ethnic_group",
    "disability",
)
REQUIRED_COLUMNS = ("partner_record_id", "experience_date", "narrative", "consent_regulator_use")
# The column of the annotated file the hub hands back; a file that has it is read without it.
ERRORS_COLUMN = "errors"

_SCALARS = (
    "location_id",
    "service_type",
    "experience_date",
    "respondent_role",
    "collection_channel",
    "sentiment",
    "narrative",
)
_LISTS = ("key_questions", "condition_areas", "themes")
_SCOPES = ("regulator_use", "publish_anonymised", "feedback", "equality_monitoring")
_EQUALITY = ("age_band", "sex", "ethnic_group", "disability")
_VOCABULARY_CELLS = (
    "service_type",
    "respondent_role",
    "collection_channel",
    "sentiment",
    *_LISTS,
    "safeguarding_categories",
    "consent_method",
    "consent_lawful_basis",
    *_EQUALITY,
)
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_INDEX = re.compile(r"\[\d+\]")

# Record paths (as validation reports them) whose column is not simply the path's name.
_PATH_COLUMNS = {
    "service": "service_name",
    "service.name": "service_name",
    "service.postcode": "service_postcode",
    "safeguarding.concern": "safeguarding_concern",
    "safeguarding.immediate_risk": "safeguarding_immediate_risk",
    "safeguarding.categories": "safeguarding_categories",
    "consent": "consent_regulator_use",
    "consent.scopes": "consent_regulator_use",
    "consent.obtained_at": "consent_obtained_at",
    "consent.method": "consent_method",
    "consent.lawful_basis": "consent_lawful_basis",
    "_schema": "",
}


@dataclass(frozen=True)
class HeaderProblems:
    """What is wrong with a header row: messages by column (empty when it is fine)."""

    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


SHOWN_NAME_MAX = 100


def _shown(name: str) -> str:
    """A header cell as a report can hold it: no NUL or lone surrogate, not a whole line."""
    return storable(name.strip(), SHOWN_NAME_MAX)


def check_header(header: Sequence[str]) -> HeaderProblems:
    """Missing, unknown and repeated columns, each with a "did you mean" where one fits; a file
    with no header at all, or whose columns are not separated by commas, is told just that."""
    whole = whole_file_problem(header)
    if whole:
        return HeaderProblems([_header_error("", whole)])
    names = [_shown(name) for name in header]
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    unknown: list[str] = []
    for name in names:
        if name == ERRORS_COLUMN:
            continue
        if name in seen and name:
            errors.append(_header_error(name, f"Column '{name}' appears more than once."))
        seen.add(name)
        if name not in COLUMNS:
            unknown.append(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    for name in unknown:
        if not name:
            errors.append(_header_error("", "A column has no name in the header row."))
            continue
        guess = difflib.get_close_matches(name.lower(), [c for c in COLUMNS if c not in seen], 1)
        hint = f" Did you mean '{guess[0]}'?" if guess else ""
        errors.append(_header_error(name, f"Unknown column '{name}'.{hint}"))
    for name in missing:
        errors.append(_header_error(name, f"Missing column '{name}': the template requires it."))
    return HeaderProblems(errors)


_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
SAVE_AS_CSV = (
    "Save it from your spreadsheet as \u201cCSV UTF-8 (Comma delimited)\u201d and upload it again."
)


def whole_file_problem(header: Sequence[str]) -> str | None:
    """What makes a header row unusable as a whole (nothing in it, or the template's columns run
    together by another separator), as one plain message; None when it is not so."""
    if not any(name.strip() for name in header):
        return f"The file is empty: its first row should hold the column names. {SAVE_AS_CSV}"
    if len(header) == 1:
        for separator, called in _SEPARATORS.items():
            parts = {part.strip() for part in header[0].split(separator)}
            if len(parts & set(COLUMNS)) >= 2:
                return f"The columns are separated by {called}, not commas. {SAVE_AS_CSV}"
    return None


def _header_error(column: str, message: str) -> dict[str, Any]:
    return {"row": 1, "column": column, "message": message}


def parse_yes_no(value: str) -> bool | None:
    """``yes``/``no`` and friends as a bool; blank is None; raises ValueError otherwise."""
    text = value.strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(value)


def parse_list(value: str) -> list[str]:
    """A ``;``-separated cell as a list, blanks dropped."""
    return [part.strip() for part in value.split(";") if part.strip()]


def row_to_record(row: Mapping[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A CSV row (header → cell) as a CONTRACT §4 record, plus ``(column, message)`` problems
    the cells had before any rule ran (a yes/no cell that is neither, say)."""
    cell = {name: (row.get(name) or "").strip() for name in COLUMNS}
    if ERRORS_COLUMN in row:
        # The hub's own annotated file: undo the quote that kept its cells from being formulas.
        cell = {name: unsafe_cell(value) for name, value in cell.items()}
    # Vocabulary values are lower-case slugs: 'Negative' or 'Caring; Safe', as people and
    # spreadsheets capitalise them, mean the same (what is no slug is kept as typed, to quote).
    for name in _VOCABULARY_CELLS:
        if cell[name]:
            cell[name] = _folded_cell(cell[name])
    problems: list[tuple[str, str]] = []
    record: dict[str, Any] = {}
    if cell["partner_record_id"]:
        record["partner_record_id"] = cell["partner_record_id"]
    for name in _SCALARS:
        if cell[name]:
            record[name] = cell[name]
    if cell["experience_date"]:
        try:
            record["experience_date"] = _date_iso(cell["experience_date"])
        except NotADate as exc:
            problems.append(("experience_date", exc.message))
    if cell["service_name"] or cell["service_postcode"]:
        service: dict[str, Any] = {"name": cell["service_name"]}
        if cell["service_postcode"]:
            service["postcode"] = cell["service_postcode"]
        record["service"] = service
    if cell["overall_experience"]:
        try:
            record["overall_experience"] = int(cell["overall_experience"])
        except ValueError:
            problems.append(("overall_experience", "Enter a whole number from 1 to 5."))
    for name in _LISTS:
        if cell[name]:
            record[name] = _list_of(cell[name])

    def yes_no(column: str) -> bool | None:
        try:
            return parse_yes_no(cell[column])
        except ValueError:
            problems.append((column, "Enter yes or no."))
            return None

    guard: dict[str, Any] = {}
    for key in ("concern", "immediate_risk"):
        answer = yes_no(f"safeguarding_{key}")
        if answer is not None:
            guard[key] = answer
    if cell["safeguarding_categories"]:
        guard["categories"] = _list_of(cell["safeguarding_categories"])
    if guard:
        record["safeguarding"] = guard
    scopes = [scope for scope in _SCOPES if yes_no(f"consent_{scope}")]
    consent: dict[str, Any] = {"scopes": scopes}
    for key in ("method", "lawful_basis"):
        if cell[f"consent_{key}"]:
            consent[key] = cell[f"consent_{key}"]
    if cell["consent_obtained_at"]:
        try:
            consent["obtained_at"] = _time_iso(cell["consent_obtained_at"])
        except NotADate as exc:
            problems.append(("consent_obtained_at", exc.message))
    record["consent"] = consent
    equality = {name: cell[name] for name in _EQUALITY if cell[name]}
    if equality:
        record["equality"] = equality
    return record, problems


# A file repeats the same few codes, dates and lists row after row: each cell text is read once
# and remembered (short cells only, a bounded number, per process; the readers are pure).
_REMEMBERED_CELLS = 4096
_REMEMBERED_LENGTH = 200


def _remembered(read: Callable[[str], _T]) -> Callable[[str], _T]:
    cached = lru_cache(maxsize=_REMEMBERED_CELLS)(read)

    def reader(text: str) -> _T:
        return cached(text) if len(text) <= _REMEMBERED_LENGTH else read(text)

    return reader


@_remembered
def _folded_cell(text: str) -> str:
    return ";".join(_folded(part) for part in text.split(";"))


@_remembered
def _date_iso(text: str) -> str:
    return parse_sheet_date(text).iso


@_remembered
def _time_iso(text: str) -> str:
    return parse_sheet_time(text)


@_remembered
def _list_tuple(text: str) -> tuple[str, ...]:
    return tuple(parse_list(text))


def _list_of(text: str) -> list[str]:
    return list(_list_tuple(text))  # a list of its own: records are changed downstream


def column_of(path: str) -> str:
    """The template column a validation error path (``consent.scopes[0]``) belongs to."""
    bare = _INDEX.sub("", path)
    if bare in _PATH_COLUMNS:
        return _PATH_COLUMNS[bare]
    if bare.startswith("equality."):
        return bare.removeprefix("equality.")
    return bare


def _folded(value: str) -> str:
    """``value`` in lower case when that makes it a vocabulary slug, else as it was."""
    lower = value.strip().lower()
    return lower if is_valid_value(lower) else value


def is_blank(cells: Sequence[str]) -> bool:
    """A row with nothing in it (spreadsheets leave these at the end)."""
    return not any(cell.strip() for cell in cells)


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def unsafe_cell(text: str) -> str:
    """A cell :func:`safe_cell` wrote, as it was before."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def csv_line(cells: Iterable[Any]) -> str:
    """One CSV line of formula-safe cells, CRLF-terminated."""
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell(c) for c in cells])
    return out.getvalue()


EXAMPLE_ROWS: tuple[dict[str, str], ...] = (
    {
        "partner_record_id": "rvm-2026-000101",
        "location_id": "1-545611283",
        "service_type": "mental-health-inpatient",
        "experience_date": "2026-09-14",
        "respondent_role": "patient",
        "collection_channel": "face-to-face",
        "overall_experience": "2",
        "sentiment": "positive",
        "key_questions": "caring;safe",
        "condition_areas": "mental-health",
        "themes": "staff-attitude;communication",
        "narrative": "The night staff sat with me when I could not sleep and explained my "
        "medication without rushing.",
        "safeguarding_concern": "no",
        "consent_regulator_use": "yes",
        "consent_publish_anonymised": "yes",
        "consent_feedback": "yes",
        "consent_equality_monitoring": "yes",
        "consent_obtained_at": "2026-09-15T10:30:00Z",
        "consent_method": "face-to-face",
        "consent_lawful_basis": "consent",
        "age_band": "35-44",
        "sex": "female",
        "ethnic_group": "white",
        "disability": "no",
    },
    {
        "partner_record_id": "rvm-2026-000102",
        "service_name": "Meadow View Care Home",
        "service_postcode": "LS1 4AP",
        "service_type": "care-home",
        "experience_date": "2026-08",
        "respondent_role": "relative-friend",
        "collection_channel": "phone",
        "overall_experience": "4",
        "sentiment": "negative",
        "key_questions": "responsive;well-led",
        "condition_areas": "dementia",
        "themes": "food-drink;dignity",
        "narrative": "My father was often left in his chair until late morning and his meals "
        "went cold before anyone helped him eat.",
        "safeguarding_concern": "yes",
        "safeguarding_immediate_risk": "no",
        "safeguarding_categories": "neglect",
        "consent_regulator_use": "yes",
        "consent_publish_anonymised": "no",
        "consent_feedback": "yes",
        "consent_equality_monitoring": "no",
        "consent_obtained_at": "2026-09-02T14:00:00Z",
        "consent_method": "phone",
        "consent_lawful_basis": "consent",
    },
    {
        "partner_record_id": "rvm-2026-000103",
        "location_id": "1-101693457",
        "service_type": "gp",
        "experience_date": "2026-10-01",
        "respondent_role": "carer",
        "collection_channel": "online",
        "overall_experience": "3",
        "sentiment": "mixed",
        "key_questions": "responsive",
        "condition_areas": "long-term-conditions",
        "themes": "access;waiting-times",
        "narrative": "Getting an appointment took three weeks, but the nurse was thorough once "
        "we were seen.",
        "consent_regulator_use": "yes",
        "consent_publish_anonymised": "yes",
        "consent_feedback": "no",
        "consent_equality_monitoring": "no",
        "consent_obtained_at": "2026-10-02T09:15:00Z",
        "consent_method": "online",
        "consent_lawful_basis": "consent",
    },
)


def template_csv() -> str:
    """The blank template: the header row only."""
    return csv_line(COLUMNS)


def example_csv() -> str:
    """The template filled with fictional rows that pass every rule."""
    return csv_line(COLUMNS) + "".join(
        csv_line(row.get(name, "") for name in COLUMNS) for row in EXAMPLE_ROWS
    )
