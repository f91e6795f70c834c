"""Every partner at a glance, for the regulator's ``admin``: standing, agreement, people and
clients, what it sent, this month's ledger and how its webhooks are faring."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.exchange.ledger.services import COUNTS, counts_by_organisation, month_start
from hub.exchange.notify.models import WebhookDelivery, WebhookEndpoint
from hub.exchange.records.models import Submission
from hub.identity.clients import require_partner_admin
from hub.identity.models import PARTNER_KINDS, Agreement, OAuthClient, Organisation, PortalUser
from hub.identity.services import agreement_in_force

# How far back webhook health looks.
WEBHOOK_WINDOW = timedelta(days=7)


@dataclass
class PartnerRow:
    organisation: Organisation
    agreement: Agreement | None
    users: int = 0
    clients: int = 0
    submissions: int = 0
    last_submission_at: datetime | None = None
    month: dict[str, int] = field(default_factory=dict)
    webhooks: int = 0
    delivered: int = 0
    failing: int = 0
    pending: int = 0


def _count_by_org(
    session: Session, column: Any, condition: sa.ColumnElement[bool]
) -> dict[uuid.UUID, int]:
    stmt = sa.select(column, sa.func.count()).where(condition).group_by(column)
    return {org: n for org, n in session.execute(stmt)}


def partner_overview(session: Session, actor: Actor, *, now: datetime) -> list[PartnerRow]:
    """Every partner organisation by name, with its figures."""
    require_partner_admin(actor)
    orgs = list(
        session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind.in_(PARTNER_KINDS))
            .order_by(Organisation.name)
        )
    )
    today = now.date()
    users = _count_by_org(session, PortalUser.organisation_id, PortalUser.deactivated_at.is_(None))
    clients = _count_by_org(session, OAuthClient.organisation_id, OAuthClient.disabled_at.is_(None))
    hooks = _count_by_org(
        session, WebhookEndpoint.organisation_id, WebhookEndpoint.deleted_at.is_(None)
    )
    sent = {
        owner: (n, last)
        for owner, n, last in session.execute(
            sa.select(
                Submission.organisation_id, sa.func.count(), sa.func.max(Submission.created_at)
            ).group_by(Submission.organisation_id)
        )
    }
    health: dict[uuid.UUID, dict[str, int]] = {}
    for owner, status, n in session.execute(
        sa.select(WebhookEndpoint.organisation_id, WebhookDelivery.status, sa.func.count())
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.created_at >= now - WEBHOOK_WINDOW)
        .group_by(WebhookEndpoint.organisation_id, WebhookDelivery.status)
    ):
        health.setdefault(owner, {})[status] = n
    month = counts_by_organisation(session, month_start(today))
    rows = []
    for org in orgs:
        count, last = sent.get(org.id, (0, None))
        statuses = health.get(org.id, {})
        rows.append(
            PartnerRow(
                organisation=org,
                agreement=agreement_in_force(session, org.id, today),
                users=users.get(org.id, 0),
                clients=clients.get(org.id, 0),
                submissions=count,
                last_submission_at=last,
                month=month.get(org.id, dict.fromkeys(COUNTS, 0)),
                webhooks=hooks.get(org.id, 0),
                delivered=statuses.get("delivered", 0),
                failing=statuses.get("failed", 0),
                pending=statuses.get("pending", 0),
            )
        )
    return rows
