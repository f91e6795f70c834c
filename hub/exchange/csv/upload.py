"""CSV files of experience records: accept an upload, and close one that cannot be processed.

``accept_upload`` stores the file (content-addressed) and opens a ``csv`` submission in status
``processing``; the task workers then process it in chunks (:mod:`hub.exchange.csv.split`,
:mod:`hub.exchange.csv.chunks`, :mod:`hub.exchange.csv.finish`), through the same intake
pipeline as the API. Progress is what the chunks done so far counted
(:mod:`hub.exchange.csv.progress`): ``rows_done`` against ``rows_total``, the declared count.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor
from hub.clock import utcnow
from hub.db import transaction, xact_lock
from hub.errors import PayloadTooLarge
from hub.exchange.csv.progress import add_chunks
from hub.exchange.csv.template import is_blank
from hub.exchange.records.models import Submission
from hub.exchange.records.submissions import (
    FAILED,
    MAX_STORED_ERRORS,
    close_submission,
    open_submission,
    submitted_by,
    submitter,
)
from hub.storage import Storage

log = logging.getLogger(__name__)

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


def fail_submission(
    session_factory: sessionmaker[Session],
    submission_id: uuid.UUID,
    errors: list[dict[str, Any]],
    now: datetime,
) -> Submission | None:
    """Close a submission still processing as ``failed``, adding ``errors`` to its report."""
    with transaction(session_factory) as session:
        # Held for update: chunks still committing finish first (they hold it shared).
        submission = session.get(Submission, submission_id, with_for_update=True)
        if submission is None or submission.status != "processing":
            return submission
        # Rows of chunks already committed stay kept, and so do their counts and errors.
        add_chunks(session, submission)
        submission.errors = [*submission.errors, *errors][:MAX_STORED_ERRORS]
        close_submission(session, submitted_by(submission), submission, now=now, status=FAILED)
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
