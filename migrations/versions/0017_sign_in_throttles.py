"""identity: sign-in failures counted per e-mail address and per client address, not per account

The per-account lock (five failures, then "your account is locked") told a guesser which
addresses have accounts and let anyone lock anyone out. Failures now slow every key down the same
way, known address or not; the old counters go.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 14:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sign_in_throttles',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', hub.db.UTCDateTime(), nullable=True),
    sa.Column('blocked_until', hub.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', hub.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttles'))
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_updated_at'), ['updated_at'], unique=False)
    with op.batch_alter_table('portal_users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_attempts')


def downgrade() -> None:
    with op.batch_alter_table('portal_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', hub.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_updated_at'))
    op.drop_table('sign_in_throttles')
