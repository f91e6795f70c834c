"""csv: each chunk keeps what became of its rows (summed when read, and when the file closes)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('csv_chunks') as batch_op:
        batch_op.add_column(sa.Column('accepted', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('replayed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('rejected', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('errors', hub.db.JSONType, nullable=True))
        batch_op.add_column(sa.Column('warnings', hub.db.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('csv_chunks') as batch_op:
        batch_op.drop_column('warnings')
        batch_op.drop_column('errors')
        batch_op.drop_column('rejected')
        batch_op.drop_column('replayed')
        batch_op.drop_column('accepted')
