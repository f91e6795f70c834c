"""Sending queued webhook deliveries: signed POSTs, 2xx or a retry with backoff."""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.audit.services import record
from hub.clock import utcnow
from hub.db import transaction
from hub.exchange.webhook_models import WebhookDelivery, WebhookEndpoint
from hub.exchange.webhook_rules import (
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    SecretBox,
    backoff,
    is_public_address,
    sign,
)

DEFAULT_TIMEOUT_S = 10.0
# A claimed delivery is hidden from other senders this long; if the sender dies mid-way, the
# delivery becomes due again afterwards.
CLAIM_LEASE = timedelta(minutes=5)
USER_AGENT = "exchange-hub-webhooks/1"

# (url, body, headers, timeout in seconds) → the HTTP status; raises OSError on no answer.
HttpPost = Callable[[str, bytes, Mapping[str, str], float], int]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect answers the delivery with a 3xx failure instead of re-posting elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post_json(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
    """POST ``body`` and return the HTTP status; raise OSError if no answer comes."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 - http(s) only, checked at registration
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


class PrivateAddress(OSError):
    """The endpoint's host resolves to an address the hub must not call."""


def refuse_private(url: str) -> None:
    """Raise PrivateAddress unless every address ``url``'s host resolves to is public."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    if not infos or not all(is_public_address(str(info[4][0])) for info in infos):
        # The addresses themselves stay out of the message: the partner reads it.
        raise PrivateAddress("the endpoint's host resolves to a private or loopback address")


def post_json_public(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
    """``post_json``, refusing hosts that resolve to private, loopback or link-local addresses."""
    refuse_private(url)
    return post_json(url, body, headers, timeout_s)


@dataclass
class DeliveryReport:
    """What one run of ``deliver_pending`` did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retrying": self.retrying, "failed": self.failed}


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    organisation_id: uuid.UUID
    url: str
    sealed_secret: str
    event: str
    event_id: uuid.UUID
    body: str


def deliver_pending(
    session_factory: sessionmaker[Session],
    *,
    hub_secret: str,
    now: datetime,
    http_post: HttpPost | None = None,
    allow_private: bool = True,
    limit: int = 100,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    actor: Actor | None = None,
) -> DeliveryReport:
    """Send every delivery due at ``now``: 2xx is delivered, anything else retried with backoff.

    Each delivery is claimed and recorded in its own short transaction; no transaction is open
    while a receiver is being called. Unless ``allow_private`` (the job passes
    ``HUB_WEBHOOK_ALLOW_PRIVATE``, off by default), a receiver whose host resolves to a private,
    loopback or link-local address is not called: the attempt fails and is retried.
    """
    if http_post is None:
        http_post = post_json if allow_private else post_json_public
    actor = actor or system("webhooks")
    box = SecretBox(hub_secret)
    lease = max(CLAIM_LEASE, timedelta(seconds=limit * timeout_s + 60))
    with transaction(session_factory) as session:
        claimed = _claim(session, now, limit, lease)
    report = DeliveryReport()
    for item in claimed:
        secret = box.open(item.sealed_secret)
        status: int | None = None
        error: str | None = None
        if secret is None:
            error = "the signing secret cannot be read (the hub's secret changed); register again"
        else:
            body = item.body.encode()
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                # The wall clock, not ``now``: receivers check the timestamp against theirs.
                SIGNATURE_HEADER: sign(secret, int(utcnow().timestamp()), body),
                "Hub-Event": item.event,
                "Hub-Delivery": str(item.id),
            }
            try:
                status = http_post(item.url, body, headers, timeout_s)
            except (OSError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                if not 200 <= status < 300:
                    error = f"the receiver answered HTTP {status}"
        with transaction(session_factory) as session:
            outcome = _settle(session, actor, item, now, status, error, give_up=secret is None)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _claim(session: Session, now: datetime, limit: int, lease: timedelta) -> list[_Claimed]:
    rows = session.execute(
        sa.select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.deleted_at.is_(None),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    ).all()
    claimed = []
    for delivery, endpoint in rows:
        delivery.next_attempt_at = now + lease
        claimed.append(
            _Claimed(
                id=delivery.id,
                endpoint_id=endpoint.id,
                organisation_id=endpoint.organisation_id,
                url=endpoint.url,
                sealed_secret=endpoint.secret_encrypted,
                event=delivery.event,
                event_id=delivery.event_id,
                body=delivery.body,
            )
        )
    return claimed


def _settle(
    session: Session,
    actor: Actor,
    item: _Claimed,
    now: datetime,
    status: int | None,
    error: str | None,
    *,
    give_up: bool,
) -> str:
    delivery = session.get(WebhookDelivery, item.id, with_for_update=True)
    if delivery is None or delivery.status != "pending":
        return "failed"  # Deleted with its endpoint while we were sending.
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = status
    delivery.last_error = error[:500] if error else None
    if error is None:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        outcome = "delivered"
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
        delivery.next_attempt_at = None
        outcome = "failed"
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        return "retrying"
    record(
        session,
        actor,
        "webhook.delivered",
        object_type="webhook_delivery",
        object_id=delivery.id,
        organisation_id=item.organisation_id,
        outcome="success" if outcome == "delivered" else "failure",
        details={
            "event": item.event,
            "event_id": str(item.event_id),
            "endpoint_id": str(item.endpoint_id),
            "attempts": delivery.attempts,
            "status_code": status,
        },
        now=now,
    )
    return outcome
