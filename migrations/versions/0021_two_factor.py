"""identity: two-factor sign-in (TOTP secret, encrypted; last step used) and recovery codes

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('portal_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', hub.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.create_table('recovery_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', hub.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['portal_users.id'], name=op.f('fk_recovery_codes_user_id_portal_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    with op.batch_alter_table('portal_users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret_encrypted')
