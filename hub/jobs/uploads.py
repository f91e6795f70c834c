"""Processing uploaded CSV files: the hand-off from the API and the portal, the web app's worker
threads, and the ``process-uploads`` job.

Both pick up submissions left in ``processing`` (also those a restart interrupted) and run
:func:`hub.exchange.csv.upload.process_submission`, which resumes from the last committed chunk.
A per-submission lock keeps two processes from working on the same file at once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import IO, Any

from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor
from hub.context import HubContext
from hub.exchange.csv.upload import accept_upload, pending_submissions, process_submission
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import Submission
from hub.jobs.locks import job_lock

log = logging.getLogger(__name__)

WORKER_THREADS = 2


def process_one(
    ctx: HubContext,
    session_factory: sessionmaker[Session],
    submission_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> bool:
    """Process one submission unless another process holds it; whether it was processed."""
    config = IntakeConfig.from_settings(ctx.settings, ctx.secret_key)
    with job_lock(ctx.engine, f"upload-{submission_id}") as taken:
        if not taken:
            return False
        process_submission(session_factory, ctx.storage, submission_id, config=config, now=now)
        return True


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Process every CSV submission still in ``processing``."""
    with session_factory() as session:
        pending = pending_submissions(session)
    processed = [sid for sid in pending if process_one(ctx, session_factory, sid, now=now)]
    return {"pending": len(pending), "processed": len(processed)}


class UploadWorker:
    """A small thread pool in the web process; inline (synchronous) when ``inline`` is set."""

    def __init__(self, ctx: HubContext, *, inline: bool = False, threads: int = WORKER_THREADS):
        self.ctx = ctx
        self.inline = inline
        self._pool = None if inline else ThreadPoolExecutor(threads, "hub-uploads")

    def submit(self, submission_id: uuid.UUID) -> Future[bool] | None:
        """Process the submission now (inline) or soon (in a thread)."""
        if self._pool is None:
            process_one(self.ctx, self.ctx.session_factory, submission_id)
            return None
        future = self._pool.submit(self._safely, submission_id)
        return future

    def resume_pending(self) -> list[Future[bool]]:
        """Queue whatever a previous process left unfinished; the queued work (threads only)."""
        with self.ctx.session_factory() as session:
            pending = pending_submissions(session)
        queued = [self.submit(submission_id) for submission_id in pending]
        return [future for future in queued if future is not None]

    def _safely(self, submission_id: uuid.UUID) -> bool:
        try:
            return process_one(self.ctx, self.ctx.session_factory, submission_id)
        except Exception:
            # Left in ``processing``: the next start-up or ``process-uploads`` run resumes it.
            log.exception("processing upload %s failed", submission_id)
            return False


_WORKER = "upload_worker"


def worker_for(ctx: HubContext) -> UploadWorker:
    """The context's worker, made on first use; a threaded one first resumes unfinished files."""
    worker: UploadWorker | None = ctx.extras.get(_WORKER)
    if worker is None:
        worker = UploadWorker(ctx, inline=ctx.settings.testing)
        ctx.extras[_WORKER] = worker
        if not worker.inline:
            try:
                worker.resume_pending()
            except Exception:
                log.exception("could not resume unfinished uploads")
    return worker


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
    caller's transaction has committed, it is processed (the API and the portal both hand off
    here)."""
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
        submission_id = submission.id
        after_commit(lambda: _hand_to_worker(ctx, submission_id))
    return submission


def _hand_to_worker(ctx: HubContext, submission_id: uuid.UUID) -> None:
    worker_for(ctx).submit(submission_id)
