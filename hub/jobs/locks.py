"""One run of a job at a time, across every scheduler and ``hub jobs run`` sharing a database.

PostgreSQL: a session-level ``pg_try_advisory_lock`` on a connection kept aside for the whole
run. The server drops it when that connection ends, so a killed process never leaves a job
locked. (A pooler in transaction mode, e.g. PgBouncer, breaks session locks: point schedulers
at the server or a session-mode pool.)

SQLite (one machine by design): an exclusive ``flock`` on a file next to the database file,
which excludes other processes and other threads alike and is released by the kernel when the
process dies; an in-memory database, which no other process can see, needs only a lock held in
this process.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

_LOCAL_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for the job, as ``pg_try_advisory_lock`` takes."""
    digest = hashlib.sha256(f"hub-job:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Try to take the job's lock without waiting; yield whether it was taken."""
    backend = engine.dialect.name
    if backend == "postgresql":
        with _pg_lock(engine, name) as taken:
            yield taken
    elif backend == "sqlite" and _sqlite_file(engine) is not None:
        with _file_lock(_lock_path(engine, name)) as taken:
            yield taken
    else:
        with _local_lock(str(engine.url), name) as taken:
            yield taken


@contextlib.contextmanager
def _pg_lock(engine: Engine, name: str) -> Iterator[bool]:
    key = advisory_key(name)
    # Autocommit: the lock belongs to the connection, and the connection must not sit
    # "idle in transaction" for as long as the job runs.
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        taken = bool(conn.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar_one())
        try:
            yield taken
        finally:
            if taken:
                try:
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                except sa.exc.DBAPIError:
                    # The connection is gone, and the server dropped the lock with it.
                    log.warning("could not unlock job %s; discarding its connection", name)
                    conn.invalidate()
    finally:
        conn.close()


def _sqlite_file(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database


def _lock_path(engine: Engine, name: str) -> Path:
    database = Path(_sqlite_file(engine) or "").absolute()
    return database.with_name(f".{database.name}.job-{name}.lock")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _local_lock(scope: str, name: str) -> Iterator[bool]:
    with _LOCAL_GUARD:
        lock = _LOCAL_LOCKS.setdefault((scope, name), threading.Lock())
    taken = lock.acquire(blocking=False)
    try:
        yield taken
    finally:
        if taken:
            lock.release()
