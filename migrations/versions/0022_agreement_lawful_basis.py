"""agreements: the lawful basis note the regulator writes when it makes an agreement

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agreements') as batch:
        batch.add_column(
            sa.Column('lawful_basis_note', sa.Text(), nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('agreements') as batch:
        batch.drop_column('lawful_basis_note')
