"""CSV files of experience records: accept an upload, process it in chunks, report on it.

``accept_upload`` stores the file (content-addressed) and opens a ``csv`` submission in status
``processing``; ``process_submission`` reads it back from storage as a stream and feeds chunks of
rows through the same intake pipeline as the API. Progress is the submission's counts, committed
with each chunk: ``rows_done`` is their sum and ``rows_total`` the declared count, so a rerun
after a crash skips the rows already done.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor
from hub.clock import utcnow
from hub.db import transaction, xact_lock
from hub.errors import PayloadTooLarge
from hub.exchange.csv.messages import EQUALITY_DROPPED, explain, unmatched_service
from hub.exchange.csv.template import check_header, column_of, is_blank, row_to_record
from hub.exchange.records import intake
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.items import REJECTED, ItemResult
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import (
    FAILED,
    MAX_STORED_ERRORS,
    add_results,
    close_submission,
    open_submission,
    rows_done,
    submitted_by,
    submitter,
)
from hub.exchange.records.validation import Rejection, validate_record
from hub.registry.lookup import match_service
from hub.storage import Storage
from hub.vocab.services import Vocabularies, load_vocabularies

log = logging.getLogger(__name__)

CHUNK_ROWS = 500
READ_SIZE = 64 * 1024
CSV_CONTENT_TYPE = "text/csv"
# Longer cells than this are not a spreadsheet's: csv refuses them instead of eating memory.
csv.field_size_limit(1_000_000)


def detect_encoding(chunks: Iterator[bytes]) -> str:
    """``utf-8-sig`` when every byte decodes as UTF-8 (BOM or not), else Excel's ``cp1252``."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def text_of(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    # cp1252 leaves five bytes undefined; such a byte becomes U+FFFD rather than failing the file.
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


def _count_rows(stream: IO[bytes], encoding: str, limit: int) -> int:
    text = text_of(stream, encoding)
    try:
        reader = csv.reader(text)
        count = 0
        for line, cells in enumerate(reader):
            if line == 0 or is_blank(cells):
                continue
            count += 1
            if count > limit:
                break
        return count
    except csv.Error:
        return 0  # unreadable: processing reports it against the row
    finally:
        text.detach()


def _spool(stream: BinaryIO, max_bytes: int) -> tuple[IO[bytes], str, int]:
    # Closed by the caller (or below, when over the limit).
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(READ_SIZE):
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise PayloadTooLarge(
                f"The file is larger than {max_bytes:,} bytes. Split it into smaller files.",
                errors={"file": [f"At most {max_bytes:,} bytes."]},
            )
        digest.update(chunk)
        spool.write(chunk)
    return spool, digest.hexdigest(), size


def _chunks_of(spool: IO[bytes]) -> Iterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(READ_SIZE):
        yield chunk


def accept_upload(
    session: Session,
    actor: Actor,
    storage: Storage,
    stream: BinaryIO,
    filename: str,
    *,
    max_bytes: int = 50 * 1024 * 1024,
    max_rows: int = 200_000,
    now: datetime | None = None,
) -> Submission:
    """Store the file and open its submission (``processing``).

    The same file again from the same organisation answers the earlier submission, whether it is
    still processing or finished, even when both arrive at once; over a limit, PayloadTooLarge
    with nothing kept.
    """
    now = now or utcnow()
    submitter(session, actor, now.date())
    spool, sha256, _size = _spool(stream, max_bytes)
    with spool:
        # Two uploads of the same file at once: the second waits here until the first commits,
        # then finds its submission below (one submission per file, never two).
        xact_lock(session, f"csv-upload:{actor.organisation_id}:{sha256}")
        earlier = session.scalars(
            sa.select(Submission)
            .where(
                Submission.organisation_id == actor.organisation_id,
                Submission.channel == "csv",
                Submission.sha256 == sha256,
            )
            .order_by(Submission.created_at)
            .limit(1)
        ).first()
        if earlier is not None:
            return earlier
        encoding = detect_encoding(_chunks_of(spool))
        spool.seek(0)
        rows = _count_rows(spool, encoding, max_rows)
        if rows > max_rows:
            raise PayloadTooLarge(
                f"The file has more than {max_rows:,} rows. Split it into smaller files.",
                errors={"file": [f"At most {max_rows:,} rows."]},
            )
        key = f"uploads/{actor.organisation_id}/{sha256}.csv"
        spool.seek(0)
        storage.put(key, spool, content_type=CSV_CONTENT_TYPE)  # type: ignore[arg-type]
    return open_submission(
        session,
        actor,
        channel="csv",
        declared=rows,
        now=now,
        filename=(filename or "upload.csv")[:255],
        storage_key=key,
        sha256=sha256,
    )


def _data_rows(text: io.TextIOWrapper) -> Iterator[tuple[int, dict[str, str] | None, list[str]]]:
    """``(row number, cells by column, header)`` per non-blank data row; the header comes first
    as row 1 with None."""
    reader = csv.reader(text)
    header = [name.strip().lstrip("\ufeff") for name in next(reader, None) or []]
    yield 1, None, header
    for index, cells in enumerate(reader, start=2):
        if is_blank(cells):
            continue
        yield index, dict(zip(header, cells, strict=False)), header


def process_submission(
    session_factory: sessionmaker[Session],
    storage: Storage,
    submission_id: uuid.UUID,
    *,
    config: IntakeConfig,
    now: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Submission | None:
    """Process a ``processing`` CSV submission to the end, committing progress per chunk."""
    now = now or utcnow()
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        if submission is None or submission.status != "processing" or not submission.storage_key:
            return submission
        key = submission.storage_key
        skip = rows_done(submission)
    encoding = detect_encoding(storage.iter_chunks(key))
    try:
        with storage.open(key) as raw:
            text = text_of(raw, encoding)
            rows = _data_rows(text)
            _, _, header = next(rows)
            problems = check_header(header)
            if not problems.ok:
                return fail_submission(session_factory, submission_id, problems.errors, now)
            chunk: list[tuple[int, dict[str, str]]] = []
            seen = 0
            for number, cells, _ in rows:
                assert cells is not None
                seen += 1
                if seen <= skip:
                    continue
                chunk.append((number, cells))
                if len(chunk) >= chunk_rows:
                    _process_chunk(session_factory, submission_id, chunk, config, now)
                    chunk = []
            if chunk:
                _process_chunk(session_factory, submission_id, chunk, config, now)
    except csv.Error as exc:
        message = f"The file could not be read as CSV: {exc}."
        return fail_submission(
            session_factory, submission_id, [{"row": 0, "column": "", "message": message}], now
        )
    return _complete(session_factory, submission_id, now)


def _process_chunk(
    session_factory: sessionmaker[Session],
    submission_id: uuid.UUID,
    chunk: list[tuple[int, dict[str, str]]],
    config: IntakeConfig,
    now: datetime,
) -> None:
    with transaction(session_factory) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        actor = submitted_by(submission)
        clean: list[dict[str, Any]] = []
        clean_rows: list[tuple[int, dict[str, str]]] = []
        errors: list[dict[str, Any]] = []
        rejected = 0
        loaded: list[Vocabularies] = []

        def vocab() -> Vocabularies:
            if not loaded:
                loaded.append(load_vocabularies(session))
            return loaded[0]

        notes: dict[int, list[dict[str, Any]]] = {}
        for number, cells in chunk:
            raw, problems = row_to_record(cells)
            if not problems:
                notes[number] = _find_location(session, raw, number)
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
        results = intake.ingest(session, actor, submission, clean, config=config, now=now)
        errors.extend(_result_errors(results, clean_rows, vocab))
        errors.sort(key=lambda e: e["row"])
        add_results(
            submission,
            results,
            errors=errors,
            also_rejected=rejected,
            warnings=_warnings(results, clean_rows, notes),
        )


def _find_location(session: Session, raw: dict[str, Any], row: int) -> list[dict[str, Any]]:
    """A row naming its service (name and postcode) but no location id: the registry's one
    location that fits becomes its ``location_id``; otherwise the row is taken to be matched
    later, with a note naming the candidates."""
    service = raw.get("service") or {}
    name, postcode = service.get("name"), service.get("postcode")
    if raw.get("location_id") or not name or not postcode:
        return []
    match = match_service(session, name, postcode)
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


def _row_errors(row: int, found: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"row": row, "column": column, "message": message}
        for column, messages in found.items()
        for message in messages
    ]


def _result_errors(
    results: list[ItemResult],
    rows: list[tuple[int, dict[str, str]]],
    vocab: Callable[[], Vocabularies],
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


def _warnings(
    results: list[ItemResult],
    rows: list[tuple[int, dict[str, str]]],
    notes: dict[int, list[dict[str, Any]]],
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


def fail_submission(
    session_factory: sessionmaker[Session],
    submission_id: uuid.UUID,
    errors: list[dict[str, Any]],
    now: datetime,
) -> Submission | None:
    """Close a submission still processing as ``failed``, adding ``errors`` to its report."""
    with transaction(session_factory) as session:
        submission = session.get(Submission, submission_id)
        if submission is None or submission.status != "processing":
            return submission
        # Rows of chunks already committed stay kept, and so do their reported errors.
        submission.errors = [*submission.errors, *errors][:MAX_STORED_ERRORS]
        close_submission(session, submitted_by(submission), submission, now=now, status=FAILED)
    return submission


def _complete(
    session_factory: sessionmaker[Session], submission_id: uuid.UUID, now: datetime
) -> Submission:
    with transaction(session_factory) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        close_submission(session, submitted_by(submission), submission, now=now)
    return submission


def pending_submissions(session: Session) -> list[uuid.UUID]:
    """CSV submissions still to process, oldest first."""
    return list(
        session.scalars(
            sa.select(Submission.id)
            .where(Submission.channel == "csv", Submission.status == "processing")
            .order_by(Submission.created_at)
        )
    )
