"""Rows of an uploaded CSV file through intake: each row read into a record (a service named
by name and postcode matched to its registry location), the records stored through the same
pipeline as the API's, and what became of each worded by the file's row and column."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.exchange.csv.messages import EQUALITY_DROPPED, explain, unmatched_service
from hub.exchange.csv.template import column_of, row_to_record
from hub.exchange.records import intake
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.enrich import Precomputed
from hub.exchange.records.items import REJECTED, ItemResult
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import Tally, submitted_by, tally
from hub.exchange.records.validation import Rejection, validate_record
from hub.registry.lookup import ServiceMatch, match_service
from hub.vocab.services import Vocabularies, load_vocabularies

Row = tuple[int, dict[str, str]]  # the file's row number, and the row's cells by column
# A row's cells read into a record, and what the cells themselves had wrong (row_to_record).
Converted = tuple[dict[str, Any], list[tuple[str, str]]]


def convert_rows(chunk: Sequence[Row]) -> list[Converted]:
    """Each row's cells read into a record, once for all the chunk's steps."""
    return [row_to_record(cells) for _, cells in chunk]


def narratives(converted: Sequence[Converted]) -> list[str]:
    """The narratives intake will enrich: those of rows whose cells could be read (the others
    are refused before intake)."""
    return [str(raw.get("narrative") or "") for raw, problems in converted if not problems]


def ingest_rows(
    session: Session,
    submission: Submission,
    chunk: list[Row],
    config: IntakeConfig,
    now: datetime,
    ready: Precomputed | None,
    converted: Sequence[Converted] | None = None,
) -> Tally:
    """Take some rows of the file through intake (the submission's records are stored, its
    counts left alone); what became of them, worded by row and column. ``converted``: the
    rows already read into records (:func:`convert_rows`), so they are not read twice."""
    if converted is None:
        converted = convert_rows(chunk)
    actor = submitted_by(submission)
    clean: list[dict[str, Any]] = []
    clean_rows: list[Row] = []
    errors: list[dict[str, Any]] = []
    rejected = 0
    loaded: list[Vocabularies] = []

    def vocab() -> Vocabularies:
        if not loaded:
            loaded.append(load_vocabularies(session))
        return loaded[0]

    notes: dict[int, list[dict[str, Any]]] = {}
    # A file names the same service row after row: the registry is asked once a chunk for each.
    matches: dict[tuple[str, str], ServiceMatch] = {}
    for (number, cells), (raw, problems) in zip(chunk, converted, strict=True):
        if not problems:
            notes[number] = _find_location(session, raw, number, matches)
            clean.append(raw)
            clean_rows.append((number, cells))
            continue
        # The cells were not even readable: report them with whatever the rules say too.
        rejected += 1
        found = {column: [message] for column, message in problems}
        checked = validate_record(raw, vocab(), now)
        if isinstance(checked, Rejection):
            for path, messages in checked.errors.items():
                found.setdefault(column_of(path), messages)
        errors.extend(_row_errors(number, explain(found, cells, vocab())))
    results = intake.ingest(
        session, actor, submission, clean, config=config, now=now, precomputed=ready
    )
    errors.extend(_result_errors(results, clean_rows, vocab))
    errors.sort(key=lambda e: e["row"])
    return tally(
        results,
        errors=errors,
        also_rejected=rejected,
        warnings=_warnings(results, clean_rows, notes),
    )


def _row_errors(row: int, found: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"row": row, "column": column, "message": message}
        for column, messages in found.items()
        for message in messages
    ]


def _result_errors(
    results: list[ItemResult], rows: list[Row], vocab: Callable[[], Vocabularies]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for result in results:
        if result.status != REJECTED:
            continue
        found: dict[str, list[str]] = {}
        for path, messages in (result.errors or {}).items():
            found.setdefault(column_of(path), []).extend(messages)
        number, cells = rows[result.index]
        out.extend(_row_errors(number, explain(found, cells, vocab())))
    return out


def _find_location(
    session: Session,
    raw: dict[str, Any],
    row: int,
    matches: dict[tuple[str, str], ServiceMatch],
) -> list[dict[str, Any]]:
    """A row naming its service (name and postcode) but no location id: the registry's one
    location that fits becomes its ``location_id``; otherwise the row is taken to be matched
    later, with a note naming the candidates."""
    service = raw.get("service") or {}
    name, postcode = service.get("name"), service.get("postcode")
    if raw.get("location_id") or not name or not postcode:
        return []
    match = matches.get((name, postcode))
    if match is None:
        match = matches[(name, postcode)] = match_service(session, name, postcode)
    if match.location_id is not None:
        raw["location_id"] = match.location_id
        return []
    return [
        {
            "row": row,
            "column": "service_name",
            "message": unmatched_service(name, postcode, match.candidates),
        }
    ]


def _warnings(
    results: list[ItemResult], rows: list[Row], notes: dict[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Rows taken with something left out or still to settle that the sender should know of."""
    out: list[dict[str, Any]] = []
    for result in results:
        if result.status == REJECTED:
            continue
        number = rows[result.index][0]
        out.extend(notes.get(number, []))
        if result.equality_dropped:
            out.append(
                {
                    "row": number,
                    "column": "consent_equality_monitoring",
                    "message": EQUALITY_DROPPED,
                }
            )
    return out
