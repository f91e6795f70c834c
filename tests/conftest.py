"""Shared fixtures: a migrated database per backend, a rolled-back transaction per test, the app.

The suite runs on SQLite always and on PostgreSQL too when ``HUB_TEST_DATABASE_URL`` is set
(a server URL such as ``postgresql://postgres@127.0.0.1:5432/postgres``). Each run creates its
own PostgreSQL database and drops only that one.
"""

from __future__ import annotations

import os

# Before the hub is imported: argon2 with its cheapest parameters for the thousands of fixture
# passwords (hub/identity/passwords.py); hubs the tests start inherit it. What a hash looks like
# and what it accepts are the same; only the work factor differs.
os.environ["HUB_TEST_CHEAP_PASSWORD_HASHING"] = "1"

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.app import build_app
from hub.cache import clear_all as clear_caches
from hub.config import Settings
from hub.context import HubContext
from hub.db import make_engine
from hub.migrate import upgrade

# The machine is shared and noisy: property tests judge behaviour, never speed.
hypothesis_settings.register_profile("hub", deadline=None)
hypothesis_settings.load_profile("hub")

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.live_server",
    "tests.fixtures.smtp",
    "tests.factories",
]

PG_SERVER_URL = os.environ.get("HUB_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_SERVER_URL else [])


def _pg_url(server_url: str, database: str) -> str:
    return (
        sa.engine.make_url(server_url).set(database=database).render_as_string(hide_password=False)
    )


def create_pg_database(prefix: str = "hub_test") -> tuple[str, Callable[[], None]]:
    """A new, empty PostgreSQL database; returns its URL and a function that drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return _pg_url(PG_SERVER_URL, name), drop


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database for the whole session, one per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hub.db'}"
        drop = None
    else:
        url, drop = create_pg_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if drop:
        drop()


@pytest.fixture
def fresh_database_url(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[str]:
    """A migrated database of the same backend that tests may commit to (concurrency tests)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        drop = None
    else:
        url, drop = create_pg_database("hub_fresh")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if drop:
        drop()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[sa.Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()
    # What the per-process caches kept came from the transaction just rolled back.
    clear_caches()


@pytest.fixture
def session_factory(connection: sa.Connection) -> sessionmaker[Session]:
    # Every session joins the test's outer transaction; their commits release savepoints only.
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        storage_url=f"file://{tmp_path / 'storage'}",
        instance_path=str(tmp_path / "instance"),
        secret_key="test-secret-key-not-for-production",
        testing=True,
        token_rate_limit="1000 per minute",
        # The suite's webhook receivers listen on loopback.
        webhook_allow_private=True,
        # Pages are tested without the second sign-in step; tests/api/test_portal_two_factor.py
        # tests it with the hub's default (regulator and auditor staff must use it).
        two_factor_required_kinds="",
    )


class TransactionWatch:
    """Sessions of a factory whose transaction is still open, and connections of an engine still
    checked out of its pool: what a request must never leave behind."""

    def __init__(self, factory: sessionmaker[Session], engine: Engine) -> None:
        self.factory = factory
        self.engine = engine
        self.open: dict[int, Session] = {}
        self.checked_out = 0
        self._listeners = [
            (factory, "after_transaction_create", self._began),
            (factory, "after_transaction_end", self._ended),
            (engine, "checkout", self._checkout),
            (engine, "checkin", self._checkin),
        ]
        for target, name, fn in self._listeners:
            sa.event.listen(target, name, fn)

    def _began(self, session: Session, transaction: Any) -> None:
        if transaction.parent is None:
            self.open[id(session)] = session

    def _ended(self, session: Session, transaction: Any) -> None:
        if transaction.parent is None:
            self.open.pop(id(session), None)

    def _checkout(self, *_args: Any) -> None:
        self.checked_out += 1

    def _checkin(self, *_args: Any) -> None:
        self.checked_out -= 1

    def problems(self) -> list[str]:
        found = [f"a session still in a transaction: {s!r}" for s in self.open.values()]
        if self.checked_out > 0:
            found.append(f"{self.checked_out} connection(s) still checked out of the pool")
        return found

    def stop(self) -> None:
        for target, name, fn in self._listeners:
            sa.event.remove(target, name, fn)


@pytest.fixture
def make_app(
    settings: Settings, engine: Engine, connection: sa.Connection
) -> Iterator[Callable[..., Flask]]:
    """Apps on the test's connection. Every API and portal test is checked on the way out: no
    request may leave a transaction open or a connection checked out (each ends its own)."""
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    watch = TransactionWatch(factory, engine)

    def build(**overrides: Any) -> Flask:
        ctx = HubContext(
            settings=settings.replace(**overrides), engine=engine, session_factory=factory
        )
        return build_app(context=ctx)

    yield build
    problems = watch.problems()
    watch.stop()
    assert problems == [], "left behind by the test's requests"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
