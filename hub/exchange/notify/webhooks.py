"""Webhook endpoints and the deliveries owed to them, one row per event and endpoint (sending
is in ``delivery``)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.cache import TTL_SECONDS, ProcessCache
from hub.cache_sessions import cached_many
from hub.clock import utcnow
from hub.errors import NotFound, ValidationFailed
from hub.exchange.notify.delivery import DeliveryReport, HttpPost, deliver_pending, post_json
from hub.exchange.notify.models import WebhookDelivery, WebhookEndpoint
from hub.exchange.notify.rules import (
    EVENTS,
    SecretBox,
    events_for,
    sign,
    url_problem,
)
from hub.identity.models import Organisation
from hub.identity.services import require_agreement
from hub.keyset import keyset_page

__all__ = [
    "EVENTS",
    "DeliveryReport",
    "Event",
    "HttpPost",
    "NewEndpoint",
    "delete_endpoint",
    "deliver_pending",
    "enqueue",
    "enqueue_many",
    "event_body",
    "get_endpoint",
    "list_deliveries",
    "list_endpoints",
    "post_json",
    "register_endpoint",
    "send_test",
    "sign",
]

MAX_ENDPOINTS = 20


@dataclass(frozen=True)
class NewEndpoint:
    """A registered endpoint and its signing secret, which is shown only this once."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True)
class Event:
    """One event owed to some organisations: each subscribed endpoint of theirs gets a delivery
    (the one record of what is owed to it and of its sending)."""

    event: str
    data: Mapping[str, Any]
    organisation_ids: frozenset[uuid.UUID]
    occurred_at: datetime
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def event_body(event: Event) -> str:
    """The exact JSON POSTed (and signed) for ``event``, the same bytes on every retry."""
    return json.dumps(
        {
            "id": str(event.id),
            "event": event.event,
            "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
            "data": event.data,
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def _delivery(endpoint_id: uuid.UUID, event: Event, body: str) -> WebhookDelivery:
    """A delivery of ``event`` to one endpoint, due at once."""
    return WebhookDelivery(
        id=uuid.uuid4(),
        endpoint_id=endpoint_id,
        event_id=event.id,
        event=event.event,
        body=body,
        status="pending",
        attempts=0,
        created_at=event.occurred_at,
        next_attempt_at=event.occurred_at,
    )


def register_endpoint(
    session: Session,
    actor: Actor,
    *,
    url: str,
    events: Iterable[str],
    hub_secret: str,
    allow_private: bool = True,
    now: datetime | None = None,
) -> NewEndpoint:
    """Register an endpoint for the actor's organisation; returns the new signing secret.

    The API passes ``allow_private`` from ``HUB_WEBHOOK_ALLOW_PRIVATE`` (off by default).
    """
    if actor.organisation_id is None:
        raise ValidationFailed("Only an organisation can register webhook endpoints.")
    # No agreement in force, no exchange: a lapsed partner registers nothing (403).
    require_agreement(session, actor, (now or utcnow()).date())
    chosen = sorted(set(events))
    allowed = events_for(actor.organisation_kind)
    errors: dict[str, list[str]] = {}
    if problem := url_problem(url, allow_private=allow_private):
        errors["url"] = [problem]
    if not chosen:
        errors["events"] = ["Choose at least one event."]
    elif bad := [e for e in chosen if e not in allowed]:
        errors["events"] = [
            f"Not open to your organisation: {', '.join(bad)}. Choose from: {', '.join(allowed)}."
        ]
    if errors:
        raise ValidationFailed("The endpoint cannot be registered as it is.", errors=errors)
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(WebhookEndpoint)
        .where(
            WebhookEndpoint.organisation_id == actor.organisation_id,
            WebhookEndpoint.deleted_at.is_(None),
        )
    )
    if (count or 0) >= MAX_ENDPOINTS:
        raise ValidationFailed(
            f"An organisation can have at most {MAX_ENDPOINTS} endpoints; delete one first."
        )
    now = now or utcnow()
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        organisation_id=actor.organisation_id,
        url=url,
        events=chosen,
        secret_encrypted=SecretBox(hub_secret).seal(secret),
        created_at=now,
        created_by=actor.label,
    )
    session.add(endpoint)
    session.flush()
    record(
        session,
        actor,
        "webhook.registered",
        object_type="webhook_endpoint",
        object_id=endpoint.id,
        details={"events": chosen},
        now=now,
    )
    return NewEndpoint(endpoint, secret)


def get_endpoint(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """One of the actor's organisation's endpoints; NotFound for anyone else's."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if (
        endpoint is None
        or endpoint.deleted_at is not None
        or endpoint.organisation_id != actor.organisation_id
    ):
        raise NotFound("No such webhook endpoint.")
    return endpoint


def list_endpoints(
    session: Session, actor: Actor, *, limit: int, after: list[Any] | None
) -> tuple[list[WebhookEndpoint], list[Any] | None]:
    """The actor's organisation's endpoints, oldest first."""
    stmt = sa.select(WebhookEndpoint).where(
        WebhookEndpoint.organisation_id == actor.organisation_id,
        WebhookEndpoint.deleted_at.is_(None),
    )
    keys: list[Any] = [WebhookEndpoint.created_at, WebhookEndpoint.id]
    return keyset_page(session, stmt, keys, limit=limit, after=after)


def delete_endpoint(
    session: Session, actor: Actor, endpoint_id: uuid.UUID, *, now: datetime | None = None
) -> None:
    """Stop sending to an endpoint; what is still queued for it is given up."""
    endpoint = get_endpoint(session, actor, endpoint_id)
    now = now or utcnow()
    endpoint.deleted_at = now
    session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
        .values(status="failed", next_attempt_at=None, last_error="endpoint deleted")
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor,
        "webhook.deleted",
        object_type="webhook_endpoint",
        object_id=endpoint.id,
        now=now,
    )


def list_deliveries(
    session: Session,
    actor: Actor,
    endpoint_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[WebhookDelivery], list[Any] | None]:
    """What was sent (or is queued) to one of the actor's endpoints, newest first."""
    endpoint = get_endpoint(session, actor, endpoint_id)
    stmt = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    keys: list[Any] = [WebhookDelivery.created_at, WebhookDelivery.id]
    return keyset_page(session, stmt, keys, limit=limit, after=after, descending=True)


TEST_EVENT = "webhook.test"


def send_test(
    session: Session, actor: Actor, endpoint_id: uuid.UUID, *, now: datetime | None = None
) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to one of the actor's endpoints; the webhooks job sends it
    (signed, with retries) as it sends every event, so it tests the whole path."""
    endpoint = get_endpoint(session, actor, endpoint_id)
    now = now or utcnow()
    test = Event(
        event=TEST_EVENT,
        data={"message": "A test event sent from the exchange hub's portal."},
        organisation_ids=frozenset({endpoint.organisation_id}),
        occurred_at=now,
    )
    delivery = _delivery(endpoint.id, test, event_body(test))
    session.add(delivery)
    session.flush()
    record(
        session,
        actor,
        "webhook.test_sent",
        object_type="webhook_endpoint",
        object_id=endpoint.id,
        details={"delivery_id": str(delivery.id)},
        now=now,
    )
    return delivery


@dataclass(frozen=True)
class Subscriber:
    """What queueing needs of a live endpoint: its id and the events it subscribes to."""

    id: uuid.UUID
    events: frozenset[str]


# Every submission queues an event for its organisation: each organisation's live endpoints are
# kept TTL_SECONDS at most per process and dropped when this process changes an endpoint or an
# organisation, so an endpoint registered here receives the next event here (one registered by
# another process, within TTL_SECONDS; sending skips endpoints deleted since).
_SUBSCRIBERS: ProcessCache[tuple[object, uuid.UUID], tuple[Subscriber, ...]] = ProcessCache(
    "webhook subscribers",
    tables={WebhookEndpoint.__tablename__, Organisation.__tablename__},
    ttl=TTL_SECONDS,
)


def subscribers(
    session: Session, organisation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[Subscriber, ...] | None]:
    """Each organisation's live endpoints, oldest first (one query for those not cached)."""
    wanted = sorted(set(organisation_ids))
    # Keyed by the database as well: a process may serve more than one (the tests do).
    database = session.get_bind().engine

    def load(
        missing: list[tuple[object, uuid.UUID]],
    ) -> dict[tuple[object, uuid.UUID], tuple[Subscriber, ...] | None]:
        found: dict[tuple[object, uuid.UUID], list[Subscriber]] = {k: [] for k in missing}
        rows = session.execute(
            sa.select(WebhookEndpoint.organisation_id, WebhookEndpoint.id, WebhookEndpoint.events)
            .where(
                WebhookEndpoint.organisation_id.in_([o for _, o in missing]),
                WebhookEndpoint.deleted_at.is_(None),
            )
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
        for organisation_id, endpoint_id, events in rows:
            found[(database, organisation_id)].append(Subscriber(endpoint_id, frozenset(events)))
        return {key: tuple(endpoints) for key, endpoints in found.items()}

    cached = cached_many(session, _SUBSCRIBERS, [(database, o) for o in wanted], load)
    return {o: cached[(database, o)] for o in wanted}


def enqueue_many(session: Session, events: Sequence[Event]) -> list[WebhookDelivery]:
    """Queue each event for every endpoint of its organisations that subscribes to it.

    Rows are added to the caller's transaction, so they exist exactly when the events do; one
    query finds the endpoints of all of them. ``data`` must hold no personal data beyond what
    each organisation may already see.
    """
    if unknown := sorted({e.event for e in events} - set(EVENTS)):
        raise ValueError(f"unknown webhook event {unknown[0]!r}")
    wanted = set().union(*(e.organisation_ids for e in events)) if events else set()
    if not wanted:
        return []
    by_organisation = subscribers(session, wanted)
    queued: list[WebhookDelivery] = []
    for event in events:
        body = event_body(event)
        queued.extend(
            _delivery(endpoint.id, event, body)
            for organisation_id in sorted(event.organisation_ids)
            for endpoint in by_organisation.get(organisation_id) or ()
            if event.event in endpoint.events
        )
    session.add_all(queued)
    session.flush()
    return queued


def enqueue(
    session: Session,
    event: str,
    data: Mapping[str, Any],
    organisation_ids: Iterable[uuid.UUID],
    *,
    now: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> list[WebhookDelivery]:
    """Queue one ``event`` for these organisations' subscribed endpoints (``enqueue_many``)."""
    return enqueue_many(
        session,
        [
            Event(
                event=event,
                data=data,
                organisation_ids=frozenset(organisation_ids),
                occurred_at=now or utcnow(),
                id=event_id or uuid.uuid4(),
            )
        ],
    )
