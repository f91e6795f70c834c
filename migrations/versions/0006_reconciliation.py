"""reconciliation: reports per partner, candidate locations for unmatched records

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 00:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reconciliation_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(), nullable=False),
    sa.Column('body', hub.db.JSONType, nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_reconciliation_reports_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_reports')),
    sa.UniqueConstraint('organisation_id', 'period', name=op.f('uq_reconciliation_reports_organisation_id_period'))
    )
    with op.batch_alter_table('reconciliation_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_reports_created_at'), ['created_at'], unique=False)

    op.create_table('reconciliation_candidates',
    sa.Column('experience_id', sa.Uuid(), nullable=False),
    sa.Column('candidates', hub.db.JSONType, nullable=False),
    sa.Column('checked_at', hub.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['experience_id'], ['experience_records.id'], name=op.f('fk_reconciliation_candidates_experience_id_experience_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('experience_id', name=op.f('pk_reconciliation_candidates'))
    )


def downgrade() -> None:
    op.drop_table('reconciliation_candidates')
    with op.batch_alter_table('reconciliation_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_reports_created_at'))
    op.drop_table('reconciliation_reports')
