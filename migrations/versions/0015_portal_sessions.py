"""identity: portal sessions kept on the server, and deactivated users

A signed-in session is a row: signing out ends it (a copied cookie stops working), "sign out
everywhere" and any change to a user's password, role, two-factor settings or deactivation end
all of a user's rows. Sessions started before this revision were cookie-only: they end, and
their users sign in again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('portal_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', hub.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', hub.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', hub.db.UTCDateTime(), nullable=True),
    sa.Column('ended_reason', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['portal_users.id'], name=op.f('fk_portal_sessions_user_id_portal_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_sessions_token_hash'))
    )
    with op.batch_alter_table('portal_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_sessions_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('portal_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', hub.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('portal_users', schema=None) as batch_op:
        batch_op.drop_column('deactivated_at')
    with op.batch_alter_table('portal_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_sessions_user_id'))
    op.drop_table('portal_sessions')
