"""The webhooks job sends the deliveries owed, retries failures later, never sends twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hub.actor import Actor
from hub.context import HubContext
from hub.exchange.notify.webhooks import enqueue, register_endpoint
from hub.jobs.runner import run_job

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def ctx(settings, engine, session_factory):
    return HubContext(settings=settings, engine=engine, session_factory=session_factory)


@pytest.fixture
def receiver() -> Iterator[dict[str, Any]]:
    box: dict[str, Any] = {"statuses": [], "bodies": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            box["bodies"].append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(box["statuses"].pop(0) if box["statuses"] else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box["url"] = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield box
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_job_delivers_pending_webhooks_and_retries_failures(
    ctx, db_session, make_org, receiver
):
    org = make_org(conditions=["cancer"])
    actor = Actor(kind="client", id="hub_t", organisation_id=org.id, organisation_kind=org.kind)
    register_endpoint(
        db_session,
        actor,
        url=receiver["url"],
        events=["dataset.released"],
        hub_secret=ctx.secret_key,
    )
    enqueue(db_session, "dataset.released", {"slug": "cancer-x"}, [org.id], now=NOW)
    db_session.commit()
    receiver["statuses"] = [500]

    first = run_job(ctx, "webhooks", now=NOW)
    assert first.status == "succeeded", first.error
    assert first.stats == {"delivered": 0, "retrying": 1, "failed": 0}

    later = run_job(ctx, "webhooks", now=NOW + timedelta(days=1))
    assert later.stats == {"delivered": 1, "retrying": 0, "failed": 0}
    assert [json.loads(b)["data"]["slug"] for b in receiver["bodies"]] == ["cancer-x"] * 2

    done = run_job(ctx, "webhooks", now=NOW + timedelta(days=2))
    assert done.stats == {"delivered": 0, "retrying": 0, "failed": 0}
    assert len(receiver["bodies"]) == 2
