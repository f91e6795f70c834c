"""safeguarding_alerts: the reasons of each alert (categories, the words that raised them, redacted)

Alerts raised before this revision have no reasons recorded: they get an empty list.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('safeguarding_alerts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('reasons', hub.db.JSONType, nullable=False, server_default='[]')
        )


def downgrade() -> None:
    with op.batch_alter_table('safeguarding_alerts', schema=None) as batch_op:
        batch_op.drop_column('reasons')
