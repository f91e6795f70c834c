"""How many SQL statements one request costs: a single POST and a 500-record batch, after a
warm-up request (caches filled, as in a running hub). The ceilings are today's counts: a change
that adds round trips per request fails here and has to say why; one that saves some lowers them.
The same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from hub.cache import every_cache

SINGLE_MAX = 13
BATCH_MAX = 14


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)


@pytest.fixture
def headers(make_party, auth_headers):
    return auth_headers(make_party("healthwatch"))


@pytest.fixture(autouse=True)
def registered_location(make_location):
    """The records name a registered location, as a partner's records do."""
    return make_location("1-000000001")


@pytest.fixture(autouse=True)
def warm_caches_stay_warm(monkeypatch):
    """A running hub's caches are warm: here they stay so however slow the warm-up request
    (the first one loads the language models)."""
    for cache in every_cache():
        monkeypatch.setattr(cache, "ttl", 3600.0)


def test_a_single_post_costs_no_more_statements_than_today(client, headers, make_record, engine):
    assert (
        client.post("/api/v1/experiences", json=make_record(), headers=headers).status_code == 201
    )
    with counted(engine) as statements:
        answer = client.post("/api/v1/experiences", json=make_record(), headers=headers)
    assert answer.status_code == 201
    assert len(statements) <= SINGLE_MAX, "\n".join(statements)


def test_a_500_record_batch_costs_no_more_statements_than_today(
    client, headers, make_record, engine
):
    warm = {"records": [make_record()]}
    assert client.post("/api/v1/experiences/batch", json=warm, headers=headers).status_code == 200
    batch = {"records": [make_record() for _ in range(500)]}
    with counted(engine) as statements:
        answer = client.post("/api/v1/experiences/batch", json=batch, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["accepted"] == 500
    # A batch costs a handful of statements however many records it holds.
    assert len(statements) <= BATCH_MAX, "\n".join(statements)
