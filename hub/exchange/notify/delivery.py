"""Sending queued webhook deliveries: signed POSTs, 2xx or a retry with backoff."""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.audit.services import record
from hub.clock import utcnow
from hub.db import transaction
from hub.exchange.notify.models import WebhookDelivery, WebhookEndpoint
from hub.exchange.notify.rules import (
    RETRY,
    SIGNATURE_HEADER,
    SecretBox,
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

# One result of socket.getaddrinfo: (family, type, proto, canonical name, socket address).
AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]


class UnusableHost(OSError):
    """The endpoint's host gives no address the hub may call: it does not resolve, or it
    resolves to a private, loopback or link-local one. One message for both, so what a partner
    reads in ``last_error`` does not map the hub's network (which internal names exist)."""


PrivateAddress = UnusableHost
UNUSABLE_HOST = "the endpoint's host has no public address the hub may call"


class BadAnswer(OSError):
    """The receiver answered with something that is not HTTP."""


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the name from the URL and the addresses it resolved to, once."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[AddressInfo, ...]


def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Resolve ``url``'s host once; unless ``allow_private``, every address must be public.

    The delivery then connects only to these addresses, so a name that answers differently on
    a later lookup (DNS rebinding) cannot move it onto the hub's own network.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the endpoint is not an http or https URL")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnusableHost(UNUSABLE_HOST) from exc
    if not infos:
        raise UnusableHost(UNUSABLE_HOST)
    if not allow_private and not all(is_public_address(str(info[4][0])) for info in infos):
        # The same words as for a name that does not resolve: the partner reads them.
        raise UnusableHost(UNUSABLE_HOST)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path, tuple(infos))


def refuse_private(url: str) -> None:
    """Raise PrivateAddress unless every address ``url``'s host resolves to is public."""
    resolve_target(url, allow_private=False)


def _connect(addresses: Sequence[AddressInfo], timeout_s: float | None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers, all within ``timeout_s``."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    error: OSError = OSError("the endpoint's host has no address")
    for family, kind, proto, _name, sockaddr in addresses:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError("timed out")
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.settimeout(timeout_s)
        return sock
    raise error


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP, or HTTPS with ``tls``, to a name, over a socket opened only to checked addresses.

    The name still goes in the ``Host`` header and, over TLS, in SNI and the certificate check.
    """

    def __init__(self, target: Target, timeout_s: float, tls: ssl.SSLContext | None) -> None:
        super().__init__(target.host, target.port, timeout=timeout_s)
        self._addresses = target.addresses
        self._tls = tls

    def connect(self) -> None:
        sock = _connect(self._addresses, self.timeout)
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock


@functools.cache
def _default_tls() -> ssl.SSLContext:
    """The system's trusted CAs, hostname checked: built once, it reads the CA bundle."""
    return ssl.create_default_context()


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
    *,
    allow_private: bool = True,
    tls: ssl.SSLContext | None = None,
) -> int:
    """POST ``body`` and return the HTTP status; raise OSError if no answer comes.

    The host is resolved once and the connection made to those addresses (refused before any
    connection if one is private and ``allow_private`` is off). Redirects are never followed:
    a 3xx is the answer. ``tls`` replaces the system's trusted CAs for https URLs.
    """
    target = resolve_target(url, allow_private=allow_private)
    context = (tls or _default_tls()) if target.scheme == "https" else None
    connection = _PinnedConnection(target, timeout_s, context)
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        with connection.getresponse() as response:
            status: int = response.status
            return status
    except http.client.HTTPException as exc:
        raise BadAnswer(f"the receiver's answer is not HTTP ({type(exc).__name__})") from exc
    finally:
        connection.close()


def post_json_public(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
    """``post_json``, refusing hosts that resolve to private, loopback or link-local addresses."""
    return post_json(url, body, headers, timeout_s, allow_private=False)


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
    loopback or link-local address is not called: the attempt fails and is retried. The
    connection goes to the very addresses that were checked, never to a second lookup's.
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
    retry_at = RETRY.retry_at(delivery.attempts, now, give_up=give_up)
    if error is None:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        outcome = "delivered"
    elif retry_at is None:
        delivery.status = "failed"
        delivery.next_attempt_at = None
        outcome = "failed"
    else:
        delivery.next_attempt_at = retry_at
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
