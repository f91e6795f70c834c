"""seals: the Merkle tree head over every event hash up to the seal, for inclusion proofs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 01:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_seals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merkle_root', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_seals', schema=None) as batch_op:
        batch_op.drop_column('merkle_root')
