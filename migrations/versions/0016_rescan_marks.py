"""rescan: which engines last read each narrative; alerts found late keep the record's arrival

`experience_records.scanned_with` is the digest of the de-identification and safeguarding
engines that last redacted and screened the record (NULL: before this revision), so the rescan
job knows what is left to do and a second run does nothing. `safeguarding_alerts.found_late`
marks an alert raised by a rescan rather than at intake, and `received_at` is when its record
came in (filled in from the record for alerts raised before this revision).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('experience_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scanned_with', sa.String(length=64), nullable=True))
    with op.batch_alter_table('safeguarding_alerts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('found_late', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('received_at', hub.db.UTCDateTime(), nullable=True))
    op.execute(
        'UPDATE safeguarding_alerts SET received_at = (SELECT r.received_at FROM '
        'experience_records r WHERE r.id = safeguarding_alerts.experience_id)'
    )


def downgrade() -> None:
    with op.batch_alter_table('safeguarding_alerts', schema=None) as batch_op:
        batch_op.drop_column('received_at')
        batch_op.drop_column('found_late')
    with op.batch_alter_table('experience_records', schema=None) as batch_op:
        batch_op.drop_column('scanned_with')
