"""An audit-log export leaves nothing open: thirty exports (some read to the end, some abandoned
half-way), then the hub still answers at once, on SQLite and on PostgreSQL (issue 14, item 1).

Before the fix the CSV was read in the request's own transaction: on SQLite it kept the write
lock, so every later request waited out the busy timeout and answered 503; on PostgreSQL each
export left a connection ``idle in transaction``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.db import make_engine
from tests.integration.committed import committed_hub, member

EXPORTS = 30


def _idle_in_transaction(url: str) -> int:
    """Connections of the hub's database idle in a transaction, read in autocommit."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND state = 'idle in transaction' "
                        "AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_thirty_exports_then_the_hub_still_answers(settings, fresh_database_url):
    hub = committed_hub(settings, fresh_database_url)
    checked_out = 0

    def checkout(*_args: Any) -> None:
        nonlocal checked_out
        checked_out += 1

    def checkin(*_args: Any) -> None:
        nonlocal checked_out
        checked_out -= 1

    sa.event.listen(hub.engine, "checkout", checkout)
    sa.event.listen(hub.engine, "checkin", checkin)
    try:
        auditor = member(hub, "auditor", [])
        charity = member(hub, "charity")
        client = hub.client()
        headers = {**auditor.headers(client), "Accept": "text/csv"}
        for n in range(EXPORTS):
            if n % 3 == 2:
                # A client that goes away after the first lines.
                response = client.get("/api/v1/audit/events", headers=headers, buffered=False)
                assert response.status_code == 200
                next(response.response)
                response.close()
            else:
                response = client.get("/api/v1/audit/events", headers=headers)
                assert response.status_code == 200
                assert response.data.startswith(b"\xef\xbb\xbfseq,occurred_at,actor")
        assert checked_out == 0, "an export left a connection checked out"
        if hub.engine.dialect.name == "postgresql":
            assert _idle_in_transaction(fresh_database_url) == 0

        # Writing needs what an open export would hold: the write lock on SQLite.
        partner = charity.headers(client)
        assert client.get("/api/v1/me", headers=partner).status_code == 200
        exports = client.get(
            "/api/v1/audit/events?action=audit.exported&limit=100", headers=auditor.headers(client)
        )
        assert exports.status_code == 200
        assert len(exports.get_json()["items"]) == EXPORTS
        assert checked_out == 0
    finally:
        sa.event.remove(hub.engine, "checkout", checkout)
        sa.event.remove(hub.engine, "checkin", checkin)
        hub.engine.dispose()
