"""Reading registry files (CQC-API-shaped JSON, JSON Lines, CSV) into the registry, streaming."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.registry.jsonstream import JsonStream, JsonStreamError
from hub.registry.keep_list import forget_registry_keep_list
from hub.registry.services import (
    PREDECESSOR,
    LocationRecord,
    clean_postcode,
    is_location_id,
    upsert_locations,
)

CSV_COLUMNS = (
    "location_id",
    "provider_id",
    "name",
    "postcode",
    "region",
    "local_authority",
    "registration_status",
    "service_types",
    "predecessor_id",
)
MAX_ERRORS = 1000
_SNIFF_CHARS = 1 << 16
_KEY_QUESTIONS = {"safe", "effective", "caring", "responsive", "well-led"}


class RowError(ValueError):
    """A row that cannot be imported; the message says why, for the person running the import."""


class FileError(RowError):
    """The file as a whole is not one the importer reads."""


@dataclass
class ImportResult:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    unchanged: int = 0

    def note_error(self, where: str, message: str) -> None:
        self.skipped += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{where}: {message}")
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append("further errors not listed")


# --- reading -------------------------------------------------------------------------------


def _json_items(fh: IO[str]) -> Iterator[tuple[str, Any]]:
    stream = JsonStream(fh)
    first = stream.peek()
    if first == "[":
        items = stream.array_items()
    elif first == "{":
        items = _locations_member(stream)
    else:
        raise FileError("expected a JSON array of locations or an object with 'locations'")
    number = 0
    while True:
        try:
            item = next(items)
        except StopIteration:
            return
        except FileError:
            raise
        except JsonStreamError as exc:
            # The rest of a broken JSON document cannot be trusted.
            raise FileError(f"item {number + 1}: {exc}; the rest was not read") from None
        number += 1
        yield f"item {number}", item


def _locations_member(stream: JsonStream) -> Iterator[Any]:
    stream.expect("{")
    found = False
    while stream.peek() != "}":
        key = stream.value()
        stream.expect(":")
        if key == "locations" and stream.peek() == "[":
            found = True
            yield from stream.array_items()
        else:
            stream.value()
        if stream.peek() == ",":
            stream.pos += 1
        elif stream.peek() != "}":
            raise JsonStreamError("expected ',' or '}' in the top-level object")
    if not found:
        raise FileError("the top-level object has no 'locations' array")


def _jsonl_items(fh: IO[str]) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            yield f"line {number}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {number}", RowError(f"not valid JSON ({exc.msg})")


def _csv_rows(fh: IO[str]) -> Iterator[tuple[str, Any]]:
    reader = csv.DictReader(fh)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("location_id", "name") if c not in header]
    if missing:
        raise FileError(
            f"the CSV header lacks {', '.join(missing)} (expected {','.join(CSV_COLUMNS)})"
        )
    reader.fieldnames = header
    for row in reader:
        yield f"line {reader.line_num}", row


def _unreadable(_fh: IO[str]) -> Iterator[tuple[str, Any]]:
    raise FileError("not UTF-8 text (nor a readable gzip file)")
    yield  # pragma: no cover


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _kind(path: Path, fh: IO[str]) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".ndjson"):
        return "jsonl"
    if last == ".csv":
        return "csv"
    try:
        head = fh.read(_SNIFF_CHARS)
    except (UnicodeDecodeError, OSError, EOFError):
        return "unreadable"
    fh.seek(0)
    stripped = head.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        # One complete object on the first line, not a wrapper of locations: JSON Lines.
        try:
            first = json.loads(stripped.split("\n", 1)[0])
        except json.JSONDecodeError:
            return "json"
        return "json" if isinstance(first, dict) and "locations" in first else "jsonl"
    return "csv"


# --- mapping ---------------------------------------------------------------------------------


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise RowError(f"{key} should be text")
    text = " ".join(str(value).split())
    return text or None


def _date(item: dict[str, Any], key: str) -> date | None:
    text = _text(item, key)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RowError(f"{key} is not a date (YYYY-MM-DD): {text[:20]!r}") from None


def _id(value: str | None, key: str, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise RowError(f"{key} is missing")
        return None
    if not is_location_id(value):
        raise RowError(f"{key} is not a registry id: {value[:30]!r}")
    return value


def _dicts(item: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RowError(f"{key} should be a list of objects")
    return value


def _ratings(item: dict[str, Any]) -> dict[str, Any] | None:
    current = item.get("currentRatings")
    if not isinstance(current, dict) or not isinstance(current.get("overall"), dict):
        return None
    overall = current["overall"]
    key_questions: dict[str, str] = {}
    for kq in _dicts(overall, "keyQuestionRatings"):
        name = "-".join(str(kq.get("name", "")).lower().replace("-", " ").split())
        if name in _KEY_QUESTIONS and kq.get("rating"):
            key_questions[name] = str(kq["rating"])
    report = _date(overall, "reportDate")
    return {
        "overall": _text(overall, "rating"),
        "report_date": report.isoformat() if report else None,
        "key_questions": key_questions,
    }


def location_from_cqc(item: Any) -> LocationRecord:
    """Map a CQC API location object to a record; ``RowError`` if it cannot be used."""
    if not isinstance(item, dict):
        raise RowError("a location should be a JSON object")
    location_id = _id(_text(item, "locationId"), "locationId", required=True)
    assert location_id is not None
    name = _text(item, "name") or _text(item, "locationName")
    if not name:
        raise RowError("name is missing")
    address = ", ".join(
        part
        for key in ("postalAddressLine1", "postalAddressLine2", "postalAddressTownCity")
        if (part := _text(item, key))
    )
    links: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for rel in _dicts(item, "relationships"):
        related = _id(_text(rel, "relatedLocationId"), "relatedLocationId", required=True)
        assert related is not None
        kind = _text(rel, "type") or PREDECESSOR
        links[(related, kind)] = (_text(rel, "relatedLocationName"), _text(rel, "reason"))
    fields = {
        "provider_id": _id(_text(item, "providerId"), "providerId", required=False),
        "name": name,
        "also_known_as": _text(item, "alsoKnownAs"),
        "postcode": clean_postcode(_text(item, "postalCode")),
        "address": address or None,
        "region": _text(item, "region"),
        "local_authority": _text(item, "localAuthority"),
        "registration_status": _text(item, "registrationStatus") or "Registered",
        "registration_date": _date(item, "registrationDate"),
        "deregistration_date": _date(item, "deregistrationDate"),
        "inspection_directorate": _text(item, "inspectionDirectorate"),
        "service_types": [str(s["name"]) for s in _dicts(item, "gacServiceTypes") if s.get("name")],
        "regulated_activities": [
            {"name": a.get("name"), "code": a.get("code")}
            for a in _dicts(item, "regulatedActivities")
        ],
        "inspection_categories": [
            {"code": c.get("code"), "primary": c.get("primary"), "name": c.get("name")}
            for c in _dicts(item, "inspectionCategories")
        ],
        "ratings": _ratings(item),
    }
    provider_name = _text(item, "providerName") or _text(item, "brandName")
    return LocationRecord(location_id, fields, provider_name, links)


def location_from_csv(row: dict[str, Any]) -> LocationRecord:
    """Map a CSV row to a record: only the columns the file has are set."""
    if None in row:
        raise RowError("more values than header columns")

    def cell(key: str) -> str | None:
        value = row.get(key)
        return (" ".join(value.split()) or None) if isinstance(value, str) else None

    location_id = _id(cell("location_id"), "location_id", required=True)
    assert location_id is not None
    name = cell("name")
    if not name:
        raise RowError("name is missing")
    fields: dict[str, Any] = {"name": name}
    if "provider_id" in row:
        fields["provider_id"] = _id(cell("provider_id"), "provider_id", required=False)
    if "postcode" in row:
        fields["postcode"] = clean_postcode(cell("postcode"))
    for key in ("region", "local_authority"):
        if key in row:
            fields[key] = cell(key)
    if "registration_status" in row:
        fields["registration_status"] = cell("registration_status") or "Registered"
    if "service_types" in row:
        fields["service_types"] = [
            s.strip() for s in (cell("service_types") or "").split(";") if s.strip()
        ]
    links: dict[tuple[str, str], tuple[str | None, str | None]] | None = None
    if "predecessor_id" in row:
        links = {}
        for old in (cell("predecessor_id") or "").split(";"):
            if old.strip():
                old_id = _id(old.strip(), "predecessor_id", required=True)
                assert old_id is not None
                links[(old_id, PREDECESSOR)] = (None, None)
    return LocationRecord(location_id, fields, cell("provider_name"), links)


# --- importing -------------------------------------------------------------------------------


def _records(
    rows: Iterable[tuple[str, Any]], mapper: Any, result: ImportResult
) -> Iterator[LocationRecord]:
    iterator = iter(rows)
    while True:
        try:
            where, row = next(iterator)
        except StopIteration:
            return
        except FileError as exc:
            result.note_error("file", str(exc))
            return
        except (UnicodeDecodeError, csv.Error, OSError, EOFError) as exc:
            result.note_error("file", f"could not be read further ({exc})")
            return
        try:
            if isinstance(row, RowError):
                raise row
            yield mapper(row)
        except RowError as exc:
            result.note_error(where, str(exc))


def import_items(
    session: Session,
    actor: Actor,
    items: Iterable[tuple[str, Any]],
    *,
    source: str,
    csv_rows: bool = False,
    now: datetime | None = None,
) -> ImportResult:
    """Upsert ``(where, item)`` pairs of CQC-shaped dicts (or CSV rows) and audit the import."""
    now = now or utcnow()
    result = ImportResult()
    mapper = location_from_csv if csv_rows else location_from_cqc
    counts = upsert_locations(session, _records(items, mapper, result), now=now)
    forget_registry_keep_list()  # location names are kept from redaction
    result.inserted, result.updated, result.unchanged = (
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )
    record(
        session,
        actor,
        "registry.imported",
        object_type="registry",
        details={
            "file": source,
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": result.skipped,
        },
        now=now,
    )
    return result


def import_file(
    session: Session, actor: Actor, path: str | Path, *, now: datetime | None = None
) -> ImportResult:
    """Insert or update locations from a registry file; bad rows are listed, never fatal.

    Nothing is committed here: the caller's transaction holds the rows and the audit event.
    """
    path = Path(path)
    with _open(path) as fh:
        kind = _kind(path, fh)
        readers = {
            "json": _json_items,
            "jsonl": _jsonl_items,
            "csv": _csv_rows,
            "unreadable": _unreadable,
        }
        rows = readers[kind](fh)
        return import_items(session, actor, rows, source=path.name, csv_rows=kind == "csv", now=now)
