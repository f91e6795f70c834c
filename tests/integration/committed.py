"""A hub on a database that requests really commit to, for race and fault tests (test helper).

The usual ``client`` fixture shares one rolled-back connection, so two requests can never race
and a lost connection would end the test's own transaction. These helpers build an app with its
own engine and pool on ``fresh_database_url``, and the parties that talk to it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.app import build_app
from hub.config import Settings
from hub.context import HubContext
from hub.db import make_engine, make_session_factory, transaction
from hub.identity import services as identity
from hub.identity.models import SCOPES_BY_KIND

ACTOR = system("tests")


@dataclass
class Hub:
    app: Flask
    ctx: HubContext
    engine: Engine
    factory: sessionmaker[Session]

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def scalar(self, statement: Any) -> Any:
        with transaction(self.factory) as session:
            return session.scalar(statement)

    def count(self, model: Any) -> int:
        return int(self.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


@dataclass
class Member:
    """An organisation with one OAuth client."""

    org_id: uuid.UUID
    kind: str
    client_id: str
    client_secret: str

    def actor(self) -> Actor:
        return Actor(
            kind="client",
            id=self.client_id,
            organisation_id=self.org_id,
            organisation_kind=self.kind,
            scopes=frozenset(SCOPES_BY_KIND[self.kind]),
        )

    def headers(self, client: FlaskClient) -> dict[str, str]:
        answer = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        assert answer.status_code == 200, answer.get_json()
        return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def committed_hub(settings: Settings, url: str, **overrides: Any) -> Hub:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    ctx = HubContext(
        settings=settings.replace(database_url=url, **overrides),
        engine=engine,
        session_factory=factory,
    )
    return Hub(build_app(context=ctx), ctx, engine, factory)


def member(hub: Hub, kind: str, conditions: list[str] | None = None) -> Member:
    with transaction(hub.factory) as session:
        org = identity.create_organisation(
            session,
            ACTOR,
            name=f"{kind.title()} {uuid.uuid4().hex[:8]}",
            kind=kind,
            condition_areas=conditions or ["mental-health"],
            valid_from=date(2020, 1, 1),
        )
        new = identity.create_client(
            session, ACTOR, organisation_id=org.id, scopes=sorted(SCOPES_BY_KIND[kind])
        )
    return Member(org.id, kind, new.client.client_id, new.client_secret)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Wait until ``condition()`` holds, checking it again each time a short pause ends."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        pause.wait(0.02)
    raise AssertionError(f"gave up waiting: {what}")


def waiting_on_advisory_lock(engine: Engine) -> Callable[[], bool]:
    """Whether some session of this database is queued for an advisory lock (PostgreSQL)."""

    def check() -> bool:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    sa.text(
                        "SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                        "WHERE l.locktype = 'advisory' AND NOT l.granted "
                        "AND d.datname = current_database()"
                    )
                ).scalar()
            )

    return check


class Racing(NamedTuple):
    """An engine whose pool lets ``workers`` threads each hold a connection at once, its session
    factory, and the API client actor of a cancer charity committed on it."""

    engine: Engine
    factory: sessionmaker[Session]
    actor: Actor


def racing(url: str, workers: int) -> Racing:
    """A committed database ready for ``workers`` threads racing through the services directly
    (no app): SQLite serialises writers itself; PostgreSQL gets a pool with room for each."""
    engine = make_engine(
        url, **({} if url.startswith("sqlite") else {"pool_size": workers + 2, "max_overflow": 0})
    )
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        org = identity.create_organisation(
            session,
            ACTOR,
            name="Concurrent Charity",
            kind="charity",
            condition_areas=["cancer"],
            valid_from=date(2020, 1, 1),
        )
        actor = Actor(
            kind="client",
            id="hub_concurrent",
            organisation_id=org.id,
            organisation_kind="charity",
            scopes=frozenset({"experiences:write"}),
        )
    return Racing(engine, factory, actor)
