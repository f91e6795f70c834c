"""Declarative base, shared column types, engine and session factory."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

uuid_pk = Annotated[uuid.UUID, mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)]
utc_datetime = Annotated[datetime, mapped_column(UTCDateTime())]
json_dict = Annotated[dict[str, Any], mapped_column(JSONType, default=dict)]
json_list = Annotated[list[Any], mapped_column(JSONType, default=list)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: sa.Uuid()}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (pysqlite's own handling
    # breaks SAVEPOINTs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL and a busy timeout let several workers share one file without "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that reads, then writes, can never
    # fail on a snapshot another process has moved past; others wait (busy_timeout) instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings the hub relies on for each backend."""
    # Statement parameters hold narratives and other personal data: keep them out of the
    # messages of database errors, which end up in logs.
    kwargs.setdefault("hide_parameters", True)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        else:
            kwargs.setdefault("poolclass", NullPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = sa.create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "postgresql"


def xact_lock(session: Session, name: str, *, shared: bool = False) -> None:
    """Hold the named lock until the session's transaction ends (PostgreSQL advisory lock).

    Shared holders do not wait for each other, only for an exclusive one. On SQLite every
    transaction already holds the database's write lock (``BEGIN IMMEDIATE``), so this is a
    no-op there.
    """
    if not is_postgres(session):
        return
    digest = hashlib.sha256(f"hub-xact:{name}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    fn = sa.func.pg_advisory_xact_lock_shared if shared else sa.func.pg_advisory_xact_lock
    session.execute(sa.select(fn(key)))


def is_transient_failure(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable or busy just now (worth a retry).

    A lost or refused connection, a terminated backend, a lock or statement timeout, a
    serialisation failure, or no connection free in the pool within its timeout.
    """
    if isinstance(error, sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        # SQLite reports schema mistakes ("no such table") as operational errors too.
        return any(part in str(error.orig) for part in _SQLITE_TRANSIENT)
    return True


_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk I/O")
