"""experience records: a partial index for the inspector's ranking of recent negative records

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = "sentiment = 'negative' AND withdrawn_at IS NULL AND status <> 'withdrawn'"


def upgrade() -> None:
    op.create_index(
        'ix_experience_records_recent_negative',
        'experience_records',
        ['received_at', 'location_id'],
        unique=False,
        postgresql_include=['id'],
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index('ix_experience_records_recent_negative', table_name='experience_records')
