"""csv: the chunks of an uploaded file, shared by the task workers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('csv_chunks',
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('storage_key', sa.String(length=1024), nullable=True),
    sa.Column('rows', hub.db.JSONType, nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('done_at', hub.db.UTCDateTime(), nullable=True),
    sa.Column('done_by', sa.String(length=300), nullable=True),
    sa.CheckConstraint("kind IN ('rows','repeats','unreadable')", name=op.f('ck_csv_chunks_kind')),
    sa.CheckConstraint("status IN ('pending','done','failed')", name=op.f('ck_csv_chunks_status')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_csv_chunks_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'index', name=op.f('pk_csv_chunks'))
    )


def downgrade() -> None:
    op.drop_table('csv_chunks')
