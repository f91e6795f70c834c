"""Regulator staff's view of care locations: search, where to look first, and one location."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import render_template, request

from hub.clock import utcnow
from hub.errors import NotFound, ValidationFailed
from hub.exchange.insight.location import location_insight, most_reported
from hub.exchange.records.location_counts import RECENT_DAYS
from hub.portal.auth import role_required
from hub.portal.blueprint import bp
from hub.portal.pages import REGULATOR_ROLES
from hub.registry.services import describe_location, is_location_id, search_locations
from hub.web import db

SEARCH_LIMIT = 50
RANKED_LIMIT = 20
# GOV.UK colour palette; the chart is drawn with SVG attributes because the CSP forbids style=.
BAR_COLOURS = {
    "negative": "#d4351c",
    "mixed": "#f47738",
    "neutral": "#b1b4b6",
    "positive": "#00703c",
}
CHART_WIDTH = 640
CHART_HEIGHT = 240
CHART_MARGIN = 32


def sentiment_chart(months: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of a stacked bar chart of records per month, split by sentiment."""
    peak = max((m["count"] for m in months), default=0)
    plot_height = CHART_HEIGHT - 2 * CHART_MARGIN
    slot = (CHART_WIDTH - 2 * CHART_MARGIN) / max(len(months), 1)
    bar_width = max(slot * 0.7, 1.0)
    bars: list[dict[str, Any]] = []
    for index, month in enumerate(months):
        x = CHART_MARGIN + index * slot + (slot - bar_width) / 2
        base = float(CHART_HEIGHT - CHART_MARGIN)
        segments = []
        for sentiment in BAR_COLOURS:
            height = plot_height * month[sentiment] / peak if peak else 0.0
            if height:
                base -= height
                segments.append(
                    {
                        "y": round(base, 1),
                        "height": round(height, 1),
                        "fill": BAR_COLOURS[sentiment],
                        "label": f"{month[sentiment]} {sentiment}",
                    }
                )
        bars.append(
            {
                "x": round(x, 1),
                "width": round(bar_width, 1),
                "month": month["month"],
                "count": month["count"],
                "label_x": round(x + bar_width / 2, 1),
                "segments": segments,
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_HEIGHT - CHART_MARGIN,
        "left": CHART_MARGIN,
        "right": CHART_WIDTH - CHART_MARGIN,
        "peak": peak,
        "bars": bars,
        "colours": BAR_COLOURS,
    }


@bp.route("/locations", methods=["GET"])
@role_required(*REGULATOR_ROLES)
def locations() -> str:
    q = (request.args.get("q") or "").strip()[:200]
    postcode = (request.args.get("postcode") or "").strip()[:10]
    provider_id = (request.args.get("provider_id") or "").strip()[:20]
    searched = bool(q or postcode or provider_id)
    results: list[dict[str, Any]] = []
    error: str | None = None
    if searched:
        try:
            rows, _ = search_locations(
                db(), q=q, postcode=postcode, provider_id=provider_id, limit=SEARCH_LIMIT
            )
            results = [describe_location(db(), loc) for loc in rows]
        except ValidationFailed as exc:
            error = (exc.detail or "").rstrip(".") or None
    return render_template(
        "portal/locations.html",
        q=q,
        postcode=postcode,
        provider_id=provider_id,
        searched=searched,
        results=results,
        error=error,
        ranked=most_reported(db(), now=utcnow(), limit=RANKED_LIMIT),
        recent_days=RECENT_DAYS,
    )


@bp.route("/locations/<location_id>", methods=["GET"])
@role_required(*REGULATOR_ROLES)
def location(location_id: str) -> str:
    if not is_location_id(location_id):
        raise NotFound("That is not a registry location id.")
    insight = location_insight(db(), location_id, now=utcnow())
    return render_template(
        "portal/location.html",
        insight=insight,
        chart=sentiment_chart(insight["sentiment_over_time"]),
    )
