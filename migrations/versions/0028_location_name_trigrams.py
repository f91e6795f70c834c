"""locations: a trigram index for name search, so a search does not read the whole registry

PostgreSQL: the pg_trgm extension (a trusted extension: the database's owner may create it) and a
GIN index over name_search. SQLite: a plain index on the column, which it cannot use for
LIKE '%word%' but which keeps the schema the models describe.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08 00:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index(
        'ix_locations_name_search_trgm',
        'locations',
        ['name_search'],
        unique=False,
        postgresql_using='gin',
        postgresql_ops={'name_search': 'gin_trgm_ops'},
    )


def downgrade() -> None:
    op.drop_index('ix_locations_name_search_trgm', table_name='locations')
