"""organisations: suspended_at, so the regulator can stop an organisation's tokens at once

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('suspended_at', hub.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('suspended_at')
