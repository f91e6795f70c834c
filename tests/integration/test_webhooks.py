"""Sending queued webhook deliveries to real HTTP receivers on loopback."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.exchange.datasets.publish import publish_release
from hub.exchange.notify.models import WebhookDelivery
from hub.exchange.notify.rules import RETRY, verify_signature
from hub.exchange.notify.webhooks import (
    delete_endpoint,
    deliver_pending,
    enqueue,
    register_endpoint,
)
from hub.storage import FileStorage
from tests.factories import ACTOR

HUB_SECRET = "test-hub-secret"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """A tiny HTTP server that records POSTs and answers with the statuses it is given."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            box.received.append((dict(self.headers.items()), body))
            status = box.statuses.pop(0) if box.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", box.url + "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield box
    server.shutdown()
    server.server_close()
    thread.join()


def _actor(org) -> Actor:
    return Actor(kind="client", id="hub_test", organisation_id=org.id, organisation_kind=org.kind)


def _deliveries(db_session) -> list[WebhookDelivery]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def test_receiver_gets_a_correctly_signed_dataset_released(
    receiver, make_org, db_session, session_factory, tmp_path
):
    cancer = make_org("charity", conditions=["cancer"])
    other = make_org("charity", conditions=["mental-health"])
    new = register_endpoint(
        db_session,
        _actor(cancer),
        url=receiver.url,
        events=["dataset.released"],
        hub_secret=HUB_SECRET,
    )
    register_endpoint(
        db_session,
        _actor(other),
        url=receiver.url + "/other",
        events=["dataset.released"],
        hub_secret=HUB_SECRET,
    )
    release = publish_release(
        db_session,
        ACTOR,
        FileStorage(tmp_path),
        slug="cancer-hooks",
        stream=io.BytesIO(b"a,b\n1,2\n"),
        filename="x.csv",
        title="T",
        condition_area="cancer",
        now=NOW,
    )
    db_session.commit()

    report = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW)

    assert report.to_dict() == {"delivered": 1, "retrying": 0, "failed": 0}
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    signature = headers["Hub-Signature"]
    timestamp, v1 = (part.split("=", 1)[1] for part in signature.split(","))
    expected = hmac.new(new.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(v1, expected.hexdigest())
    assert abs(int(timestamp) - time.time()) < 60
    assert verify_signature(new.secret, signature, body, now=int(time.time()))
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert set(payload) == {"id", "event", "occurred_at", "data"}
    assert payload["event"] == "dataset.released"
    assert payload["data"]["slug"] == "cancer-hooks"
    assert payload["data"]["version"] == release.version
    assert payload["data"]["sha256"] == release.sha256

    [delivery] = _deliveries(db_session)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    audit = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "webhook.delivered")
    ).one()
    assert (audit.organisation_id, audit.outcome) == (cancer.id, "success")
    # Nothing is due any more.
    assert deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW).delivered == 0


def test_failing_receiver_is_retried_with_backoff(receiver, make_org, db_session, session_factory):
    org = make_org("charity")
    register_endpoint(
        db_session,
        _actor(org),
        url=receiver.url,
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
    )
    enqueue(db_session, "outcome.created", {"outcome_id": "o-1"}, [org.id], now=NOW)
    db_session.commit()
    receiver.statuses = [500, 503]

    first = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW)
    assert first.retrying == 1
    [delivery] = _deliveries(db_session)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == NOW + timedelta(minutes=1)

    early = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW + timedelta(seconds=59))
    assert early.to_dict() == {"delivered": 0, "retrying": 0, "failed": 0}
    assert len(receiver.received) == 1

    second_at = NOW + timedelta(minutes=1)
    assert deliver_pending(session_factory, hub_secret=HUB_SECRET, now=second_at).retrying == 1
    [delivery] = _deliveries(db_session)
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == second_at + timedelta(minutes=2)

    third_at = second_at + timedelta(minutes=2)
    assert deliver_pending(session_factory, hub_secret=HUB_SECRET, now=third_at).delivered == 1
    [delivery] = _deliveries(db_session)
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == ("delivered", 3, third_at)
    # Every attempt carried the same event, byte for byte.
    assert len({body for _, body in receiver.received}) == 1


def test_redirects_and_unreachable_receivers_count_as_failures(
    receiver, make_org, db_session, session_factory
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    redirected, unreachable = make_org("charity"), make_org("charity")
    register_endpoint(
        db_session,
        _actor(redirected),
        url=receiver.url,
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
    )
    register_endpoint(
        db_session,
        _actor(unreachable),
        url=f"http://127.0.0.1:{closed_port}/x",
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [redirected.id, unreachable.id], now=NOW)
    db_session.commit()
    receiver.statuses = [302]

    report = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW, timeout_s=2)

    assert report.retrying == 2
    assert len(receiver.received) == 1  # the redirect was not followed
    errors = {d.last_status_code: d.last_error for d in _deliveries(db_session)}
    assert "302" in errors[302]
    assert errors[None]  # connection refused, in words


def test_gives_up_after_the_last_attempt(make_org, db_session, session_factory):
    org = make_org("charity")
    register_endpoint(
        db_session,
        _actor(org),
        url="https://partner.example/hook",
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()
    calls: list[str] = []

    def timing_out(url, body, headers, timeout_s):
        calls.append(url)
        raise TimeoutError("timed out")

    moment = NOW
    for _ in range(RETRY.max_attempts):
        deliver_pending(session_factory, hub_secret=HUB_SECRET, now=moment, http_post=timing_out)
        moment += timedelta(days=1)
    assert len(calls) == RETRY.max_attempts
    [delivery] = _deliveries(db_session)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "failed",
        RETRY.max_attempts,
        None,
    )
    assert "TimeoutError" in delivery.last_error
    audit = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "webhook.delivered")
    ).one()
    assert audit.outcome == "failure"
    deliver_pending(session_factory, hub_secret=HUB_SECRET, now=moment, http_post=timing_out)
    assert len(calls) == RETRY.max_attempts


def test_unreadable_secret_fails_at_once_and_deleting_cancels(
    make_org, db_session, session_factory
):
    org = make_org("charity")
    actor = _actor(org)
    first = register_endpoint(
        db_session,
        actor,
        url="https://a.example/h",
        events=["outcome.created"],
        hub_secret="an older hub secret",
    )
    second = register_endpoint(
        db_session,
        actor,
        url="https://b.example/h",
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    delete_endpoint(db_session, actor, second.endpoint.id, now=NOW)
    db_session.commit()
    sent: list[str] = []

    report = deliver_pending(
        session_factory,
        hub_secret=HUB_SECRET,
        now=NOW,
        http_post=lambda url, body, headers, timeout_s: sent.append(url) or 200,
    )

    assert sent == []
    assert report.failed == 1
    by_endpoint = {d.endpoint_id: d for d in _deliveries(db_session)}
    assert by_endpoint[first.endpoint.id].status == "failed"
    assert "secret" in by_endpoint[first.endpoint.id].last_error
    assert (by_endpoint[second.endpoint.id].status, by_endpoint[second.endpoint.id].attempts) == (
        "failed",
        0,
    )


def test_enqueue_only_reaches_subscribed_endpoints(make_org, db_session):
    org = make_org("regulator")
    actor = _actor(org)
    register_endpoint(
        db_session,
        actor,
        url="https://r.example/a",
        events=["safeguarding.alert"],
        hub_secret=HUB_SECRET,
    )
    wanted = register_endpoint(
        db_session,
        actor,
        url="https://r.example/b",
        events=["consent.withdrawn"],
        hub_secret=HUB_SECRET,
    )
    queued = enqueue(db_session, "consent.withdrawn", {"record_id": "r-1"}, [org.id], now=NOW)
    assert [d.endpoint_id for d in queued] == [wanted.endpoint.id]
    assert enqueue(db_session, "consent.withdrawn", {}, [], now=NOW) == []
    with pytest.raises(ValueError):
        enqueue(db_session, "no.such", {}, [org.id])
