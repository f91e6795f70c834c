"""What the portal's pages call vocabulary values: a volunteer reads ``Mental health``, not
``mental-health``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import g

from hub.portal.blueprint import bp
from hub.vocab.models import VocabularyTerm
from hub.web import db


def vocabulary_labels(kind: str) -> dict[str, str]:
    """A vocabulary's labels by value, in display order; read once per request and only by a
    page that shows one."""
    cache: dict[str, dict[str, str]] = g.setdefault("portal_vocabulary_labels", {})
    if kind not in cache:
        rows = db().execute(
            sa.select(VocabularyTerm.value, VocabularyTerm.label)
            .where(VocabularyTerm.kind == kind)
            .order_by(VocabularyTerm.position, VocabularyTerm.value)
        )
        cache[kind] = {value: label for value, label in rows}
    return cache[kind]


def term_label(kind: str, value: str) -> str:
    """A vocabulary value's label; a value no longer in the vocabulary is shown as it is."""
    return vocabulary_labels(kind).get(value, value)


def area_label(value: str) -> str:
    """A condition area's label."""
    return term_label("condition_area", value)


def area_labels(values: Iterable[str]) -> list[str]:
    """The labels of several condition areas, in the order given."""
    return [area_label(value) for value in values]


@bp.context_processor
def _label_helpers() -> dict[str, Any]:
    return {"area_label": area_label, "area_labels": area_labels, "term_label": term_label}
