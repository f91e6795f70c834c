"""The first pass over an uploaded CSV file: its header checked, and its rows copied to storage
in chunks that any worker may take.

Each chunk (``.../chunk-00000.csv``...) gets a ``csv_chunks`` row naming its rows. A row whose
``partner_record_id`` already appeared earlier in the file goes to one last ``repeats`` chunk
instead, so the parallel chunks never hold the same record twice; a place where the file stops
being CSV is kept as an ``unreadable`` chunk.

Chunks are sized to the file (:func:`chunk_size`): a small file is still cut into enough chunks
for every worker to have some, a large one into chunks of at most the setting's rows.
"""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.clock import utcnow
from hub.db import transaction
from hub.exchange.csv.chunks import CSV_CONTENT_TYPE, pending_chunks, processing
from hub.exchange.csv.models import DONE, REPEATS, ROWS, UNREADABLE, CsvChunk
from hub.exchange.csv.template import HeaderProblems, check_header, is_blank
from hub.exchange.csv.upload import detect_encoding, fail_submission, text_of
from hub.storage import Storage

CHUNK_ROWS = 500
# A file is cut into at least this many chunks (when it has rows enough), so that the workers
# share it evenly and none waits long for the last chunk...
CHUNKS_PER_FILE = 16
# ...but no chunk is smaller than this: each costs a task, a transaction and a commit.
FEWEST_ROWS = 50

Cells = tuple[int, list[str]]


def chunk_size(rows: int, most: int = CHUNK_ROWS) -> int:
    """Rows per chunk for a file of ``rows`` rows: at most ``most``."""
    return max(1, min(most, max(FEWEST_ROWS, math.ceil(rows / CHUNKS_PER_FILE))))


def split(
    session_factory: sessionmaker[Session],
    storage: Storage,
    submission_id: uuid.UUID,
    *,
    chunk_rows: int = CHUNK_ROWS,
    now: datetime | None = None,
) -> list[int] | None:
    """Split the file into chunks of at most ``chunk_rows`` rows (unless done already); the
    ``rows`` chunks still to do, or None when the submission is not processing (closed, or
    failed on its header here)."""
    now = now or utcnow()
    with session_factory() as session:
        submission = processing(session, submission_id)
        if submission is None:
            return None
        key = submission.storage_key
        assert key is not None
        if _has_chunks(session, submission_id):
            return pending_chunks(session, submission_id)
        size = chunk_size(submission.declared_count, chunk_rows)
    found = _first_pass(storage, submission_id, key, size)
    if found.problems is not None:  # the header is wrong; nothing was stored
        fail_submission(session_factory, submission_id, found.problems.errors, now)
        return None
    chunks = found.chunks
    if found.unreadable is not None:
        number, message = found.unreadable
        chunks.append(
            CsvChunk(
                submission_id=submission_id,
                index=found.next_index,
                kind=UNREADABLE,
                status=DONE,
                rows=[number],
                error=message,
            )
        )
    with transaction(session_factory) as session:
        if processing(session, submission_id, lock="update") is None:
            return None
        if not _has_chunks(session, submission_id):
            session.add_all(chunks)
            session.flush()
        return pending_chunks(session, submission_id)


def _has_chunks(session: Session, submission_id: uuid.UUID) -> bool:
    found = session.scalar(
        sa.select(CsvChunk.index).where(CsvChunk.submission_id == submission_id).limit(1)
    )
    return found is not None


class _Chunks:
    """Writes each chunk to storage as soon as it is full, so the first pass holds one chunk's
    rows at a time (and the repeated rows), never the whole file."""

    def __init__(
        self, storage: Storage, submission_id: uuid.UUID, key: str, header: list[str]
    ) -> None:
        self.storage = storage
        self.submission_id = submission_id
        self.base = key.removesuffix(".csv")
        self.header = header
        self.written: list[CsvChunk] = []
        self.parts = 0

    def store(self, rows: list[Cells], kind: str = ROWS) -> None:
        index = self.parts
        self.parts += 1
        if not rows:
            return
        name = f"{self.base}/chunk-{index:05d}.csv" if kind == ROWS else f"{self.base}/repeats.csv"
        # Named by its place in the file: a second split overwrites the same objects.
        self.storage.put_bytes(name, _chunk_bytes(self.header, rows), content_type=CSV_CONTENT_TYPE)
        self.written.append(
            CsvChunk(
                submission_id=self.submission_id,
                index=index,
                kind=kind,
                storage_key=name,
                rows=[number for number, _ in rows],
            )
        )


def _clean_header(row: list[str] | None) -> list[str]:
    return [name.strip().lstrip("\ufeff") for name in row or []]


@dataclass
class _FirstPass:
    """What the first pass found: the header as read and, when it is wrong, its problems (and
    nothing stored); otherwise the chunks stored, where the file stopped being CSV (if it did),
    and the next chunk index."""

    header: list[str]
    problems: HeaderProblems | None = None
    chunks: list[CsvChunk] = field(default_factory=list)
    unreadable: tuple[int, str] | None = None
    next_index: int = 0


def _first_pass(
    storage: Storage, submission_id: uuid.UUID, key: str, chunk_rows: int
) -> _FirstPass:
    """Read the file once: check its header, then copy its rows to storage chunk by chunk."""
    encoding = detect_encoding(storage.iter_chunks(key))
    repeats: list[Cells] = []
    current: list[Cells] = []
    seen: set[str] = set()
    header: list[str] = []
    unreadable: tuple[int, str] | None = None
    number = 1
    with storage.open(key) as raw:
        text = text_of(raw, encoding)
        reader = csv.reader(text)
        try:
            header = _clean_header(next(reader, None))
            problems = check_header(header)
            if not problems.ok:
                return _FirstPass(header, problems)
            chunks = _Chunks(storage, submission_id, key, header)
            pid_at = header.index("partner_record_id") if "partner_record_id" in header else None
            for number, cells in enumerate(reader, start=2):
                if is_blank(cells):
                    continue
                pid = cells[pid_at].strip() if pid_at is not None and pid_at < len(cells) else ""
                if pid and pid in seen:
                    repeats.append((number, cells))
                    continue
                seen.add(pid)
                current.append((number, cells))
                if len(current) >= chunk_rows:
                    chunks.store(current)
                    current = []
        except csv.Error as exc:
            unreadable = (number, f"The file could not be read as CSV: {exc}.")
            if not header:
                return _FirstPass(header, check_header(header))
        finally:
            text.detach()
    if current:
        chunks.store(current)
    chunks.store(repeats, REPEATS)
    return _FirstPass(header, None, chunks.written, unreadable, chunks.parts)


def _chunk_bytes(header: list[str], rows: Iterable[Cells]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(cells for _, cells in rows)
    return out.getvalue().encode("utf-8")
