"""ledger: the monthly roll-up, each organisation's figures for a month frozen at its close

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 01:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_months',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('records_submitted', sa.Integer(), nullable=False),
    sa.Column('records_accepted', sa.Integer(), nullable=False),
    sa.Column('records_rejected', sa.Integer(), nullable=False),
    sa.Column('records_withdrawn', sa.Integer(), nullable=False),
    sa.Column('releases_received', sa.Integer(), nullable=False),
    sa.Column('outcomes_received', sa.Integer(), nullable=False),
    sa.Column('computed_at', hub.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_ledger_months_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_months')),
    sa.UniqueConstraint('organisation_id', 'month', name=op.f('uq_ledger_months_organisation_id_month'))
    )
    with op.batch_alter_table('ledger_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_months_month'), ['month'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_months', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_months_month'))
    op.drop_table('ledger_months')
