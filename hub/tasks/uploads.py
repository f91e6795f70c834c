"""Processing uploaded CSV files on the task engine: the hand-off from the API and the portal,
the tasks that work through a file in parallel chunks, and the sweep.

The API and the portal store the file and open its submission; once their transaction has
committed they queue ``hub.csv.advance``, which splits the file into chunks (first pass, see
:mod:`hub.exchange.csv.split`) and queues one ``hub.csv.chunk`` per chunk, for any worker. The
task that finds no chunk left finishes the file. Every task decides from the database what is
left, so a repeated or redelivered message does nothing twice.

The sweep (the ``process-uploads`` job) queues ``hub.csv.advance`` again for files where nothing
has happened for a while; every worker queues it, with no wait, when it starts, so a file a
killed worker was on is finished by the next.
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
from hub.exchange.csv.chunks import give_up_chunk, pending_chunks, process_chunk
from hub.exchange.csv.finish import finish
from hub.exchange.csv.progress import quiet_submissions
from hub.exchange.csv.split import split
from hub.exchange.csv.upload import accept_upload, fail_submission
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import Submission
from hub.tasks.engine import enqueue, task

ADVANCE = "hub.csv.advance"
CHUNK = "hub.csv.chunk"
SWEEP = "hub.csv.sweep"
QUIET_S = 300
GAVE_UP = (
    "The hub could not finish processing this file: the fault was the hub's, not the file's, "
    "and has been recorded for the hub's operators. Upload the same file again later; rows "
    "already kept are not added twice."
)


def _config(ctx: HubContext) -> IntakeConfig:
    return IntakeConfig.from_settings(ctx.settings, ctx.secret_key)


def _advance_gave_up(ctx: HubContext, _error: Exception, submission_id: str) -> None:
    # The error may quote data: the submitter sees a plain sentence, operators the job run.
    fail_submission(
        ctx.session_factory,
        uuid.UUID(submission_id),
        [{"row": 0, "column": "", "message": GAVE_UP}],
        utcnow(),
    )


@task(ADVANCE, gave_up=_advance_gave_up)
def advance(ctx: HubContext, submission_id: str) -> None:
    """Split the file if need be, then queue its chunks still to do (or finish it)."""
    sid = uuid.UUID(submission_id)
    pending = split(ctx.session_factory, ctx.storage, sid, chunk_rows=ctx.settings.csv_chunk_rows)
    if pending is None:
        return
    for index in pending:
        enqueue(ctx, CHUNK, submission_id, index)
    if not pending:
        finish(ctx.session_factory, ctx.storage, sid, config=_config(ctx))


def _finish_if_last(ctx: HubContext, sid: uuid.UUID) -> None:
    with ctx.session_factory() as session:
        left = pending_chunks(session, sid)
    if not left:
        finish(ctx.session_factory, ctx.storage, sid, config=_config(ctx))


def _chunk_gave_up(ctx: HubContext, _error: Exception, submission_id: str, index: int) -> None:
    sid = uuid.UUID(submission_id)
    give_up_chunk(ctx.session_factory, sid, int(index))
    _finish_if_last(ctx, sid)


@task(CHUNK, gave_up=_chunk_gave_up)
def chunk(ctx: HubContext, submission_id: str, index: int) -> None:
    """Process one chunk of the file (unless done); the last one finishes the file."""
    sid = uuid.UUID(submission_id)
    process_chunk(ctx.session_factory, ctx.storage, sid, int(index), config=_config(ctx))
    _finish_if_last(ctx, sid)


@task(SWEEP)
def sweep(ctx: HubContext, quiet_s: int = QUIET_S) -> int:
    """Queue ``advance`` for files quiet for ``quiet_s`` seconds; how many."""
    with ctx.session_factory() as session:
        quiet = quiet_submissions(session, quiet_s=quiet_s)
    for sid in quiet:
        enqueue(ctx, ADVANCE, str(sid))
    return len(quiet)


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """The ``process-uploads`` job: queue the CSV files still processing where nothing has
    happened for five minutes."""
    with session_factory() as session:
        pending = quiet_submissions(session, quiet_s=0)
        quiet = quiet_submissions(session, quiet_s=QUIET_S)
    for sid in quiet:
        enqueue(ctx, ADVANCE, str(sid))
    return {"pending": len(pending), "queued": len(quiet)}


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
