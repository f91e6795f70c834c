"""submissions: row warnings beside row errors

`submissions.warnings` holds `[{row, column, message}]` for rows that were taken with something
left out (equality answers without equality-monitoring consent); NULL for submissions made
before this revision, which are read as having none.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 14:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warnings', hub.db.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('warnings')
