"""notify: a notice owed to an endpoint and its sending are one row (webhook_deliveries); the
outbox table, which said the same again, goes

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 17:45:00.000000

Every outbox row (a safeguarding alert or a withdrawal owed to the regulator) was written beside
a delivery to each of the recipient's endpoints that subscribed to its event: the delivery's
``event_id`` is the row's id and its body holds the row's event, time, object and payload, and
nothing ever updated the row afterwards. So the deliveries already hold all it said.

Upgrade: a pending outbox row that has no delivery (written before notices were sent by
webhook) becomes deliveries to the recipient's endpoints that subscribed to its event and were
registered, and not deleted, when it was written: the rows the hub writes today. A row whose
recipient had no such endpoint owed nothing to send; the change it reported stays in its own
table and in the audit log (``consent.withdrawn``, ``safeguarding.alert_raised``).

Downgrade: the table again, one row per notice event found in the deliveries.
"""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTICE_EVENTS = ('consent.withdrawn', 'safeguarding.alert')

outbox = sa.table(
    'outbox',
    sa.column('id', sa.Uuid),
    sa.column('event', sa.String),
    sa.column('recipient_organisation_id', sa.Uuid),
    sa.column('object_type', sa.String),
    sa.column('object_id', sa.String),
    sa.column('payload', hub.db.JSONType),
    sa.column('status', sa.String),
    sa.column('attempts', sa.Integer),
    sa.column('created_at', hub.db.UTCDateTime),
    sa.column('delivered_at', hub.db.UTCDateTime),
)
endpoints = sa.table(
    'webhook_endpoints',
    sa.column('id', sa.Uuid),
    sa.column('organisation_id', sa.Uuid),
    sa.column('events', hub.db.JSONType),
    sa.column('created_at', hub.db.UTCDateTime),
    sa.column('deleted_at', hub.db.UTCDateTime),
)
deliveries = sa.table(
    'webhook_deliveries',
    sa.column('id', sa.Uuid),
    sa.column('endpoint_id', sa.Uuid),
    sa.column('event_id', sa.Uuid),
    sa.column('event', sa.String),
    sa.column('body', sa.Text),
    sa.column('status', sa.String),
    sa.column('attempts', sa.Integer),
    sa.column('created_at', hub.db.UTCDateTime),
    sa.column('next_attempt_at', hub.db.UTCDateTime),
)


def _body(row: sa.Row) -> str:
    """The JSON the hub sends for a notice (as ``webhooks.event_body`` writes it)."""
    return json.dumps(
        {
            'id': str(row.id),
            'event': row.event,
            'occurred_at': row.created_at.astimezone(UTC).isoformat(),
            'data': {'object_type': row.object_type, 'object_id': row.object_id, **row.payload},
        },
        separators=(',', ':'),
        sort_keys=True,
        default=str,
    )


def upgrade() -> None:
    conn = op.get_bind()
    unsent = conn.execute(
        sa.select(outbox)
        .where(
            outbox.c.status == 'pending',
            ~sa.exists().where(deliveries.c.event_id == outbox.c.id),
        )
        .order_by(outbox.c.created_at, outbox.c.id)
    ).all()
    by_recipient: dict[uuid.UUID, list[sa.Row]] = {}
    recipients = {row.recipient_organisation_id for row in unsent}
    if recipients:
        for endpoint in conn.execute(
            sa.select(endpoints)
            .where(endpoints.c.organisation_id.in_(recipients))
            .order_by(endpoints.c.created_at, endpoints.c.id)
        ):
            by_recipient.setdefault(endpoint.organisation_id, []).append(endpoint)
    owed = [
        {
            'id': uuid.uuid4(),
            'endpoint_id': endpoint.id,
            'event_id': row.id,
            'event': row.event,
            'body': _body(row),
            'status': 'pending',
            'attempts': 0,
            'created_at': row.created_at,
            'next_attempt_at': row.created_at,
        }
        for row in unsent
        for endpoint in by_recipient.get(row.recipient_organisation_id, [])
        if row.event in endpoint.events
        and endpoint.created_at <= row.created_at
        and (endpoint.deleted_at is None or endpoint.deleted_at > row.created_at)
    ]
    if owed:
        conn.execute(sa.insert(deliveries), owed)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_recipient_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_object_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_event'))
        batch_op.drop_index(batch_op.f('ix_outbox_created_at'))
    op.drop_table('outbox')


def downgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('recipient_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('object_type', sa.String(length=60), nullable=False),
    sa.Column('object_id', sa.String(length=120), nullable=False),
    sa.Column('payload', hub.db.JSONType, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', hub.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending','delivered','failed')", name=op.f('ck_outbox_status')),
    sa.ForeignKeyConstraint(['recipient_organisation_id'], ['organisations.id'], name=op.f('fk_outbox_recipient_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_event'), ['event'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_recipient_organisation_id'), ['recipient_organisation_id'], unique=False)

    conn = op.get_bind()
    rows: dict[uuid.UUID, dict[str, object]] = {}
    for delivery in conn.execute(
        sa.select(deliveries.c.event_id, deliveries.c.body, deliveries.c.created_at,
                  endpoints.c.organisation_id)
        .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
        .where(deliveries.c.event.in_(NOTICE_EVENTS))
        .order_by(deliveries.c.created_at, deliveries.c.id)
    ):
        if delivery.event_id in rows:
            continue
        sent = json.loads(delivery.body)
        data = dict(sent['data'])
        rows[delivery.event_id] = {
            'id': delivery.event_id,
            'event': sent['event'],
            'recipient_organisation_id': delivery.organisation_id,
            'object_type': data.pop('object_type'),
            'object_id': data.pop('object_id'),
            'payload': data,
            # As the hub wrote them: nothing ever moved an outbox row on.
            'status': 'pending',
            'attempts': 0,
            'created_at': delivery.created_at,
            'delivered_at': None,
        }
    if rows:
        conn.execute(sa.insert(outbox), list(rows.values()))
