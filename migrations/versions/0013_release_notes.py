"""dataset releases: the publisher's notes on what is new in each release

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('dataset_releases') as batch:
        batch.add_column(sa.Column('notes', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('dataset_releases') as batch:
        batch.drop_column('notes')
