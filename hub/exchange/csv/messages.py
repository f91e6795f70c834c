"""Row messages a volunteer can act on: what was typed, and what to write instead.

The record rules (``exchange/records/validation.py``) word their errors for the API's field
paths; a spreadsheet's rows are reported against its columns, in plain English, quoting the cell
when that helps. Equality answers and the narrative are never quoted: reports are kept, and those
cells may hold what the person did not agree to have kept.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from hub.registry.matching_rules import Candidate
from hub.vocab.services import Vocabularies

# Column → (vocabulary kind, what its values are called).
VOCAB_COLUMNS: dict[str, tuple[str, str]] = {
    "service_type": ("service_type", "service types"),
    "respondent_role": ("respondent_role", "respondent roles"),
    "collection_channel": ("collection_channel", "collection channels"),
    "sentiment": ("sentiment", "sentiments"),
    "key_questions": ("key_question", "key questions"),
    "condition_areas": ("condition_area", "condition areas"),
    "themes": ("theme", "themes"),
    "safeguarding_categories": ("safeguarding_category", "safeguarding categories"),
    "age_band": ("age_band", "age bands"),
    "sex": ("sex", "answers for sex"),
    "ethnic_group": ("ethnic_group", "ethnic groups"),
    "disability": ("disability", "answers for disability"),
}
LIST_COLUMNS = frozenset({"key_questions", "condition_areas", "themes", "safeguarding_categories"})
# Never quoted back: the person's words and their equality answers.
PRIVATE_COLUMNS = frozenset({"narrative", "age_band", "sex", "ethnic_group", "disability"})

DAY_EXAMPLE = "14/09/2026"
REQUIRED: dict[str, str] = {
    "partner_record_id": "Enter your own reference for this record, such as rvm-2026-000101: any "
    "text, different for each record.",
    "experience_date": "Enter when it happened: the day, as 14/09/2026, or the month, as Sep-26.",
    "narrative": "Enter what the person told you, in their own words.",
}
WHERE = (
    "Say where it happened: the location's id in location_id (as 1-545611283; find it with "
    "'Find a location'), or the service's name in service_name and its postcode in "
    "service_postcode."
)
REGULATOR_USE = (
    "Enter yes in consent_regulator_use. The hub only takes accounts the person agreed to share "
    "with the regulator; if they did not agree, leave the row out."
)
EQUALITY_DROPPED = (
    "The equality answers (age_band, sex, ethnic_group, disability) were not kept, because "
    "consent_equality_monitoring is not yes. The rest of the row was taken."
)

_SEVERAL = re.compile(r"\s*(?:,|/|\||\+|&|\band\b)\s*", re.IGNORECASE)
_MISSING = "Missing data for required field."
_UNKNOWN_VALUE = "Not a known value."


def quoted(text: str, limit: int = 60) -> str:
    text = text.strip()
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


def slug_guess(typed: str, values: tuple[str, ...]) -> str | None:
    """The allowed value someone most likely meant: ``'Mental Health'`` → ``mental-health``."""
    slug = re.sub(r"[\s_]+", "-", typed.strip().lower().replace("&", "and")).strip("-")
    if slug in values:
        return slug
    close = difflib.get_close_matches(slug, values, n=1, cutoff=0.75)
    return close[0] if close else None


def vocab_messages(column: str, cell: str, vocab: Vocabularies) -> list[str]:
    """Why the cell of a vocabulary column is not allowed, value by value."""
    kind, noun = VOCAB_COLUMNS[column]
    values = vocab.values(kind)
    choose = f"Choose from: {', '.join(values)}."
    if column in PRIVATE_COLUMNS:
        return [f"This is not one of the {noun}. {choose}"]
    parts = [p.strip() for p in cell.split(";") if p.strip()] if column in LIST_COLUMNS else [cell]
    out: list[str] = []
    for part in parts:
        if vocab.allows(kind, part):
            continue
        pieces = [p for p in _SEVERAL.split(part) if p.strip()]
        if column in LIST_COLUMNS and len(pieces) > 1:
            guesses = [slug_guess(p, values) or p.strip() for p in pieces]
            out.append(
                f"{quoted(part)} looks like several values: put ; between them, as "
                f"{';'.join(guesses)}."
            )
            continue
        guess = slug_guess(part, values)
        if guess is not None:
            out.append(f"{quoted(part)} is not one of the {noun}. Did you mean {guess}?")
        else:
            out.append(f"{quoted(part)} is not one of the {noun}. {choose}")
    return out


def explain(
    found: Mapping[str, list[str]], cells: Mapping[str, str], vocab: Vocabularies
) -> dict[str, list[str]]:
    """The rules' messages for one row (by column), reworded for the person who filled it in."""
    out: dict[str, list[str]] = {}
    for column, messages in found.items():
        cell = (cells.get(column) or "").strip()
        out[column] = _column_messages(column, cell, messages, vocab)
    return out


def _column_messages(column: str, cell: str, messages: list[str], vocab: Vocabularies) -> list[str]:
    if column in VOCAB_COLUMNS and any(m.startswith(_UNKNOWN_VALUE) for m in messages):
        others = [m for m in messages if not m.startswith(_UNKNOWN_VALUE)]
        return (vocab_messages(column, cell, vocab) or messages[:1]) + others
    said = quoted(cell) if cell and column not in PRIVATE_COLUMNS else ""
    out: list[str] = []
    for message in messages:
        if message == _MISSING or (column == "narrative" and message == "Must not be blank."):
            out.append(REQUIRED.get(column, f"Fill in {column}: it is required."))
        elif column == "location_id" and message.startswith("Give location_id"):
            out.append(WHERE)
        elif column == "location_id" and said:
            out.append(
                f"{said} is not a location id. A location id is 1- and 8 to 11 digits (as "
                "1-545611283), or an NHS trust's code: R and 2 to 4 letters or digits (as RXQ02). "
                "Find it with 'Find a location', or give service_name and service_postcode "
                "instead."
            )
        elif column == "consent_regulator_use" and "regulator_use" in message:
            out.append(REGULATOR_USE)
        elif column == "service_postcode" and said:
            out.append(f"{said} is not a UK postcode. Write it as SW1A 1AA.")
        elif column == "overall_experience" and said:
            out.append(
                f"{said} is not on the scale. Enter a whole number from 1 (very good) to 5 "
                "(very poor), or leave it empty."
            )
        elif message == "Must not be in the future." and said:
            out.append(f"{said} is in the future. Check it: the day comes first, as {DAY_EXAMPLE}.")
        elif message == "Enter yes or no." and said:
            out.append(f"{said} is not yes or no. Enter yes or no.")
        elif column == "consent_lawful_basis" and said and message.startswith("Choose from"):
            out.append(f"{said} is not a lawful basis we know. {message}")
        else:
            out.append(message)
    return out


def unmatched_service(name: str, postcode: str, candidates: list[Candidate]) -> str:
    """Why a row's service was not matched to one registry location, naming the candidates."""
    where = f"{quoted(name)} at {postcode}"
    if not candidates:
        return (
            f"No location in the registry fits {where}. The record was taken and will be matched "
            "later. Next time, give the location's id in location_id (find it with 'Find a "
            "location')."
        )
    listed = "; ".join(
        f"{c.location_id} {c.name}" + (f" ({c.postcode})" if c.postcode else "") for c in candidates
    )
    return (
        f"More than one location could be {where}: {listed}. The record was taken and will be "
        "matched later. Next time, give the right one's id in location_id."
    )
