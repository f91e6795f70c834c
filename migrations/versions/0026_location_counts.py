"""locations: per-day counts of negative accounts and their recent sum, for the inspector's ranking

The ranking read a window of experience records through a partial index; it now reads these
counts, filled here from the records stored (the window: the last 90 days, today included).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 17:45:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECENT_DAYS = 90
WHERE = "sentiment = 'negative' AND withdrawn_at IS NULL AND status <> 'withdrawn'"


def upgrade() -> None:
    op.create_table('location_daily_counts',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('negatives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('location_id', 'day', name=op.f('pk_location_daily_counts'))
    )
    op.create_table('location_recent_counts',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('from_day', sa.Date(), nullable=False),
    sa.Column('negatives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_location_recent_counts'))
    )
    op.create_index(op.f('ix_location_recent_counts_from_day'), 'location_recent_counts', ['from_day'], unique=False)
    op.create_index(op.f('ix_location_recent_counts_negatives'), 'location_recent_counts', ['negatives'], unique=False)

    postgres = op.get_bind().dialect.name == 'postgresql'
    day = "(received_at AT TIME ZONE 'UTC')::date" if postgres else 'date(received_at)'
    op.execute(
        'INSERT INTO location_daily_counts (location_id, day, negatives) '
        f'SELECT location_id, {day}, count(*) FROM experience_records '
        f'WHERE location_id IS NOT NULL AND {WHERE} GROUP BY location_id, {day}'
    )
    start = datetime.now(UTC).date() - timedelta(days=RECENT_DAYS - 1)
    op.get_bind().execute(
        sa.text(
            'INSERT INTO location_recent_counts (location_id, from_day, negatives) '
            'SELECT location_id, :start, sum(CASE WHEN day >= :start THEN negatives ELSE 0 END) '
            'FROM location_daily_counts GROUP BY location_id'
        ).bindparams(sa.bindparam('start', start, type_=sa.Date()))
    )
    op.drop_index(
        'ix_experience_records_recent_negative',
        table_name='experience_records',
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.create_index(
        'ix_experience_records_recent_negative',
        'experience_records',
        ['received_at', 'location_id'],
        unique=False,
        postgresql_include=['id'],
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )
    op.drop_index(op.f('ix_location_recent_counts_negatives'), table_name='location_recent_counts')
    op.drop_index(op.f('ix_location_recent_counts_from_day'), table_name='location_recent_counts')
    op.drop_table('location_recent_counts')
    op.drop_table('location_daily_counts')
