"""vocabularies: self-harm joins the safeguarding categories (CONTRACT §4)

Not a Care Act 2014 category, but a risk to the person from themselves (suicide included) that the
regulator acts on, and a category the safeguarding engine reports. A regulator may already have
added it with `hub vocab add`; then nothing changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND, VALUE, LABEL = 'safeguarding_category', 'self-harm', 'Self-harm or risk of suicide'
ADDED_AT = datetime(2026, 12, 7, tzinfo=UTC)

terms = sa.table(
    'vocabulary_terms',
    sa.column('kind', sa.String), sa.column('value', sa.String),
    sa.column('label', sa.String), sa.column('position', sa.Integer),
    sa.column('created_at', hub.db.UTCDateTime()),
)


def upgrade() -> None:
    conn = op.get_bind()
    present = conn.execute(
        sa.select(sa.func.count()).select_from(terms)
        .where(terms.c.kind == KIND, terms.c.value == VALUE)
    ).scalar_one()
    if present:
        return
    last = conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(terms.c.position), 0)).where(terms.c.kind == KIND)
    ).scalar_one()
    conn.execute(
        sa.insert(terms).values(
            kind=KIND, value=VALUE, label=LABEL, position=last + 1, created_at=ADDED_AT
        )
    )


def downgrade() -> None:
    op.get_bind().execute(sa.delete(terms).where(terms.c.kind == KIND, terms.c.value == VALUE))
