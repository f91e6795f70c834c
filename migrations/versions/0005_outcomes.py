"""outcomes: "you said, we did" and the records each one drew on

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outcomes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('location_id', sa.String(length=20), nullable=True),
    sa.Column('report_url', sa.String(length=2000), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('used-in-inspection','shared-with-provider','informed-monitoring','safeguarding-referral','no-action-yet')", name=op.f('ck_outcomes_kind')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_outcomes_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes'))
    )
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcomes_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcomes_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcomes_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('outcome_records',
    sa.Column('outcome_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_outcome_records_outcome_id_outcomes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['experience_records.id'], name=op.f('fk_outcome_records_record_id_experience_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outcome_id', 'record_id', name=op.f('pk_outcome_records'))
    )
    with op.batch_alter_table('outcome_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_records_record_id'), ['record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outcome_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_records_record_id'))

    op.drop_table('outcome_records')
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcomes_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_outcomes_location_id'))
        batch_op.drop_index(batch_op.f('ix_outcomes_created_at'))

    op.drop_table('outcomes')
