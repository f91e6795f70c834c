"""One row per allowed value of a controlled vocabulary."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base


class VocabularyTerm(Base):
    __tablename__ = "vocabulary_terms"

    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
