"""Processing uploaded CSV files on the task engine: the hand-off from the API and the portal,
the task that works through a file, and the ``process-uploads`` sweep.

The API and the portal store the file and open its submission; once their transaction has
committed they queue ``hub.csv.advance`` for it. The sweep (on its schedule, and whenever a
worker starts) queues the same task for every submission still ``processing``, so a message
lost with a broker or a killed worker is made good. Processing resumes from the last committed
chunk, and a per-submission lock keeps two workers from working on the same file at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any

from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor
from hub.clock import utcnow
from hub.context import HubContext
from hub.exchange.csv.upload import (
    accept_upload,
    fail_submission,
    pending_submissions,
    process_submission,
)
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import Submission
from hub.jobs.locks import job_lock
from hub.tasks.engine import enqueue, task

ADVANCE = "hub.csv.advance"
GAVE_UP = (
    "The file could not be processed to the end (the error was recorded for the hub's "
    "operators). Rows before this point were kept; upload the rest again in a new file."
)


def _gave_up(ctx: HubContext, _error: Exception, submission_id: str) -> None:
    # The error may quote data: the submitter sees a plain sentence, operators the job run.
    fail_submission(
        ctx.session_factory,
        uuid.UUID(submission_id),
        [{"row": 0, "column": "", "message": GAVE_UP}],
        utcnow(),
    )


@task(ADVANCE, gave_up=_gave_up)
def advance(ctx: HubContext, submission_id: str) -> bool:
    """Process the submission's file unless another worker holds it; whether it was processed."""
    sid = uuid.UUID(submission_id)
    config = IntakeConfig.from_settings(ctx.settings, ctx.secret_key)
    with job_lock(ctx.engine, f"upload-{sid}") as taken:
        if not taken:
            return False
        process_submission(
            ctx.session_factory,
            ctx.storage,
            sid,
            config=config,
            chunk_rows=ctx.settings.csv_chunk_rows,
        )
        return True


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """The ``process-uploads`` job: queue every CSV submission still in ``processing``."""
    with session_factory() as session:
        pending = pending_submissions(session)
    for sid in pending:
        enqueue(ctx, ADVANCE, str(sid))
    return {"pending": len(pending), "queued": len(pending)}


def receive_upload(
    ctx: HubContext,
    session: Session,
    actor: Actor,
    stream: IO[bytes],
    filename: str,
    *,
    after_commit: Callable[[Callable[[], None]], None],
) -> Submission:
    """Store an uploaded CSV and open its submission (within the settings' limits); once the
    caller's transaction has committed, it is queued for the workers (the API and the portal
    both hand off here)."""
    submission = accept_upload(
        session,
        actor,
        ctx.storage,
        stream,  # type: ignore[arg-type]
        filename,
        max_bytes=ctx.settings.csv_max_bytes,
        max_rows=ctx.settings.csv_max_rows,
    )
    if submission.status == "processing":
        submission_id = str(submission.id)
        after_commit(lambda: enqueue(ctx, ADVANCE, submission_id))
    return submission
