"""Migration 0025: the outbox's notices live on as webhook deliveries, and come back on the way
down; a notice never sent by webhook becomes the deliveries the hub writes today."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from hub.db import JSONType, UTCDateTime, make_engine
from hub.migrate import alembic_config, upgrade
from tests.conftest import create_pg_database

BEFORE, AFTER = "0024", "0025"
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

META = sa.MetaData()
organisations = sa.Table(
    "organisations",
    META,
    sa.Column("id", sa.Uuid),
    sa.Column("name", sa.String),
    sa.Column("kind", sa.String),
    sa.Column("created_at", UTCDateTime),
)
endpoints = sa.Table(
    "webhook_endpoints",
    META,
    sa.Column("id", sa.Uuid),
    sa.Column("organisation_id", sa.Uuid),
    sa.Column("url", sa.String),
    sa.Column("events", JSONType),
    sa.Column("secret_encrypted", sa.Text),
    sa.Column("created_at", UTCDateTime),
    sa.Column("created_by", sa.String),
    sa.Column("deleted_at", UTCDateTime),
)
deliveries = sa.Table(
    "webhook_deliveries",
    META,
    sa.Column("id", sa.Uuid),
    sa.Column("endpoint_id", sa.Uuid),
    sa.Column("event_id", sa.Uuid),
    sa.Column("event", sa.String),
    sa.Column("body", sa.Text),
    sa.Column("status", sa.String),
    sa.Column("attempts", sa.Integer),
    sa.Column("created_at", UTCDateTime),
    sa.Column("next_attempt_at", UTCDateTime),
)
outbox = sa.Table(
    "outbox",
    META,
    sa.Column("id", sa.Uuid),
    sa.Column("event", sa.String),
    sa.Column("recipient_organisation_id", sa.Uuid),
    sa.Column("object_type", sa.String),
    sa.Column("object_id", sa.String),
    sa.Column("payload", JSONType),
    sa.Column("status", sa.String),
    sa.Column("attempts", sa.Integer),
    sa.Column("created_at", UTCDateTime),
    sa.Column("delivered_at", UTCDateTime),
)


@pytest.fixture
def bare_engine(database_url: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty database of the session's backend, migrated only as far as a test takes it."""
    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp_path / 'bare.db'}", None
    else:
        url, drop = create_pg_database("hub_migration")
    engine = make_engine(url)
    yield engine
    engine.dispose()
    if drop:
        drop()


def downgrade(engine: sa.Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def _endpoint(conn, org_id, events, *, created_at, deleted_at=None):
    endpoint_id = uuid.uuid4()
    conn.execute(
        sa.insert(endpoints).values(
            id=endpoint_id,
            organisation_id=org_id,
            url="https://receiver.example/hook",
            events=events,
            secret_encrypted="sealed",
            created_at=created_at,
            created_by="client:hub_r",
            deleted_at=deleted_at,
        )
    )
    return endpoint_id


def _notice(conn, org_id, event, object_id, payload, *, created_at):
    notice_id = uuid.uuid4()
    conn.execute(
        sa.insert(outbox).values(
            id=notice_id,
            event=event,
            recipient_organisation_id=org_id,
            object_type="experience" if event == "consent.withdrawn" else "safeguarding_alert",
            object_id=object_id,
            payload=payload,
            status="pending",
            attempts=0,
            created_at=created_at,
            delivered_at=None,
        )
    )
    return notice_id


def _sent_body(notice_id, event, object_type, object_id, payload, created_at):
    """The body the hub wrote for a notice it sent by webhook (as 0024's code did)."""
    return json.dumps(
        {
            "id": str(notice_id),
            "event": event,
            "occurred_at": created_at.isoformat(),
            "data": {"object_type": object_type, "object_id": object_id, **payload},
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def test_notices_survive_the_outbox_going_and_come_back_on_downgrade(bare_engine):
    upgrade(bare_engine, BEFORE)
    regulator, silent = uuid.uuid4(), uuid.uuid4()
    with bare_engine.begin() as conn:
        for org_id, name in ((regulator, "Regulator"), (silent, "Regulator, no endpoint")):
            conn.execute(
                sa.insert(organisations).values(
                    id=org_id, name=name, kind="regulator", created_at=T0
                )
            )
        listening = _endpoint(
            conn, regulator, ["consent.withdrawn", "safeguarding.alert"], created_at=T0
        )
        # Registered after the old notice, deleted before it, or not subscribed: owed nothing.
        _endpoint(conn, regulator, ["safeguarding.alert"], created_at=T0 + timedelta(days=9))
        _endpoint(
            conn,
            regulator,
            ["safeguarding.alert"],
            created_at=T0,
            deleted_at=T0 + timedelta(hours=1),
        )
        _endpoint(conn, regulator, ["dataset.released"], created_at=T0)

        # Sent by webhook when it was written: the delivery already says it all.
        withdrawn_at = T0 + timedelta(days=1)
        withdrawal_payload = {"experience_id": "e-1", "withdrawn_at": withdrawn_at.isoformat()}
        sent = _notice(
            conn,
            regulator,
            "consent.withdrawn",
            "e-1",
            withdrawal_payload,
            created_at=withdrawn_at,
        )
        sent_body = _sent_body(
            sent, "consent.withdrawn", "experience", "e-1", withdrawal_payload, withdrawn_at
        )
        conn.execute(
            sa.insert(deliveries).values(
                id=uuid.uuid4(),
                endpoint_id=listening,
                event_id=sent,
                event="consent.withdrawn",
                body=sent_body,
                status="delivered",
                attempts=1,
                created_at=withdrawn_at,
                next_attempt_at=None,
            )
        )
        # Written before notices went by webhook: still owed.
        raised_at = T0 + timedelta(days=2)
        alert_payload = {"alert_id": "a-1", "categories": ["neglect"], "immediate": False}
        unsent = _notice(
            conn, regulator, "safeguarding.alert", "a-1", alert_payload, created_at=raised_at
        )
        # To an organisation with no endpoint: nothing to send.
        _notice(conn, silent, "safeguarding.alert", "a-1", alert_payload, created_at=raised_at)

    upgrade(bare_engine, AFTER)

    with bare_engine.connect() as conn:
        assert "outbox" not in sa.inspect(conn).get_table_names()
        rows = conn.execute(sa.select(deliveries).order_by(deliveries.c.created_at)).all()
    assert [(r.event_id, r.endpoint_id, r.status) for r in rows] == [
        (sent, listening, "delivered"),
        (unsent, listening, "pending"),
    ]
    assert rows[0].body == sent_body
    owed = rows[1]
    assert (owed.attempts, owed.next_attempt_at) == (0, raised_at)
    assert json.loads(owed.body) == {
        "id": str(unsent),
        "event": "safeguarding.alert",
        "occurred_at": raised_at.isoformat(),
        "data": {"object_type": "safeguarding_alert", "object_id": "a-1", **alert_payload},
    }

    downgrade(bare_engine, BEFORE)

    with bare_engine.connect() as conn:
        back = conn.execute(sa.select(outbox).order_by(outbox.c.created_at)).all()
    assert [
        (r.id, r.event, r.recipient_organisation_id, r.object_type, r.object_id, r.payload)
        for r in back
    ] == [
        (sent, "consent.withdrawn", regulator, "experience", "e-1", withdrawal_payload),
        (unsent, "safeguarding.alert", regulator, "safeguarding_alert", "a-1", alert_payload),
    ]
    assert [(r.status, r.created_at) for r in back] == [
        ("pending", withdrawn_at),
        ("pending", raised_at),
    ]
