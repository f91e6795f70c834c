"""Twenty requests at once with one Idempotency-Key: exactly one is answered, once.

The key is claimed (a row in the request's transaction) before the request is answered, so on
PostgreSQL the others wait on it and then see the kept answer: the same body replays it, another
body is refused with 422 ``idempotency-key-reused``. Before, each looked the key up, found
nothing and answered: 6 to 8 records from one key.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from hub.app import build_app
from hub.context import HubContext
from hub.db import make_engine, make_session_factory
from hub.exchange.records.models import ExperienceRecord, IdempotentResponse
from tests.factories import experience_record
from tests.integration.committed import Hub, member

WORKERS = 20


@pytest.fixture
def hub(settings, fresh_database_url):
    pg = fresh_database_url.startswith("postgresql")
    engine = make_engine(
        fresh_database_url, **({"pool_size": WORKERS + 5, "max_overflow": 0} if pg else {})
    )
    factory = make_session_factory(engine)
    ctx = HubContext(
        settings=settings.replace(database_url=fresh_database_url),
        engine=engine,
        session_factory=factory,
    )
    yield Hub(build_app(context=ctx), ctx, engine, factory)
    engine.dispose()


def _race(hub: Hub, path: str, bodies: list[Any], headers: dict[str, str]) -> list[Any]:
    barrier = threading.Barrier(len(bodies))

    def send(body: Any) -> Any:
        client = hub.client()
        barrier.wait()
        return client.post(path, json=body, headers=headers)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, bodies))


@pytest.mark.parametrize(
    ("path", "wrap"),
    [
        ("/api/v1/experiences", lambda record: record),
        ("/api/v1/experiences/batch", lambda record: {"records": [record]}),
    ],
)
def test_one_key_and_twenty_different_bodies_make_one_record(hub, path, wrap):
    partner = member(hub, "charity")
    headers = {**partner.headers(hub.client()), "Idempotency-Key": "one-key-for-all"}
    bodies = [wrap(experience_record(partner_record_id=f"race-{i}")) for i in range(WORKERS)]

    answers = _race(hub, path, bodies, headers)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == sorted([201 if path.endswith("experiences") else 200] + [422] * 19), [
        (a.status_code, a.get_json().get("code")) for a in answers
    ]
    for answer in answers:
        if answer.status_code == 422:
            assert answer.mimetype == "application/problem+json"
            assert answer.get_json()["code"] == "idempotency-key-reused"
    assert hub.count(ExperienceRecord) == 1
    assert hub.count(IdempotentResponse) == 1


def test_one_key_and_twenty_identical_bodies_replay_the_one_answer(hub):
    partner = member(hub, "charity")
    headers = {**partner.headers(hub.client()), "Idempotency-Key": "same-body"}
    body = experience_record(partner_record_id="same-for-all")

    answers = _race(hub, "/api/v1/experiences", [body] * WORKERS, headers)

    assert [a.status_code for a in answers] == [201] * WORKERS
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == WORKERS - 1
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert hub.count(ExperienceRecord) == 1
    stored = hub.scalar(sa.select(IdempotentResponse.status_code))
    assert stored == 201
