"""A whole CSV file processed in this process (split, every chunk, finish): what the task
workers do between them, in one place (tests, tools). Resumable like theirs."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.clock import utcnow
from hub.exchange.csv.chunks import process_chunk
from hub.exchange.csv.finish import finish
from hub.exchange.csv.split import CHUNK_ROWS, split
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import Submission
from hub.storage import Storage


def process_submission(
    session_factory: sessionmaker[Session],
    storage: Storage,
    submission_id: uuid.UUID,
    *,
    config: IntakeConfig,
    now: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Submission | None:
    """Process the whole file here; the submission as it ends up."""
    now = now or utcnow()
    pending = split(session_factory, storage, submission_id, chunk_rows=chunk_rows, now=now)
    for index in pending or []:
        process_chunk(session_factory, storage, submission_id, index, config=config, now=now)
    finish(session_factory, storage, submission_id, config=config, now=now)
    with session_factory() as session:
        return session.get(Submission, submission_id)
