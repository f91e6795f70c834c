"""What the portal's pages call vocabulary values: a volunteer reads ``Mental health``, not
``mental-health``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g

from hub.exchange.datasets.publish import condition_area_labels
from hub.portal.blueprint import bp
from hub.web import db


def _labels() -> dict[str, str]:
    # Read once per request, and only by a page that shows a condition area.
    labels: dict[str, str] | None = g.get("portal_area_labels")
    if labels is None:
        labels = condition_area_labels(db())
        g.portal_area_labels = labels
    return labels


def area_label(value: str) -> str:
    """A condition area's label; a value no longer in the vocabulary is shown as it is."""
    return _labels().get(value, value)


def area_labels(values: Iterable[str]) -> list[str]:
    """The labels of several condition areas, in the order given."""
    return [area_label(value) for value in values]


@bp.context_processor
def _label_helpers() -> dict[str, Any]:
    return {"area_label": area_label, "area_labels": area_labels}
