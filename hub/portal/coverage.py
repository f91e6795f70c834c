"""Regulator staff's coverage page: whose voices reach the regulator, region by region."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from hub.exchange.insight.coverage import coverage as coverage_figures
from hub.portal.auth import role_required
from hub.portal.blueprint import bp
from hub.portal.pages import REGULATOR_ROLES
from hub.web import db

# GOV.UK colours; drawn with SVG attributes because the CSP forbids style=.
REGION_COLOUR = "#1d70b8"
OVERALL_COLOUR = "#b1b4b6"
FLAG_COLOUR = "#d4351c"
CHART_WIDTH = 640
LABEL_WIDTH = 220
BAR_HEIGHT = 12
ROW_HEIGHT = 36
CHART_TOP = 8


def share_chart(groups: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Geometry of paired horizontal bars: each group's share in the region and overall.

    Only published percentages are drawn; a suppressed figure draws no bar.
    """
    if not any(g["overall"].percent is not None for g in groups):
        return None
    plot = CHART_WIDTH - LABEL_WIDTH - 48
    rows = []
    for index, group in enumerate(groups):
        y = CHART_TOP + index * ROW_HEIGHT
        bars = []
        for offset, cell, colour, name in (
            (
                0,
                group["region"],
                FLAG_COLOUR if group["under_represented"] else REGION_COLOUR,
                "region",
            ),
            (BAR_HEIGHT + 2, group["overall"], OVERALL_COLOUR, "all regions"),
        ):
            if cell is None or cell.percent is None:
                continue
            width = round(plot * cell.percent / 100, 1)
            bars.append(
                {
                    "y": y + offset,
                    "width": width,
                    "fill": colour,
                    "label": f"{name}: {cell.percent:.0f}%",
                    "text_x": round(LABEL_WIDTH + width + 4, 1),
                    "text": f"{cell.percent:.0f}%",
                }
            )
        rows.append({"label": group["label"], "label_y": y + BAR_HEIGHT + 1, "bars": bars})
    return {
        "width": CHART_WIDTH,
        "height": CHART_TOP + len(groups) * ROW_HEIGHT,
        "left": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "rows": rows,
        "colours": {
            "This region": REGION_COLOUR,
            "This region, under-represented": FLAG_COLOUR,
            "All regions": OVERALL_COLOUR,
        },
    }


@bp.route("/coverage", methods=["GET"])
@role_required(*REGULATOR_ROLES)
def coverage() -> str:
    region = (request.args.get("region") or "").strip()[:60] or None
    figures = coverage_figures(db(), region=region)
    charts = {
        d["dimension"]: share_chart(d["groups"]) if figures["region"] else None
        for d in figures["dimensions"]
    }
    return render_template(
        "portal/coverage.html",
        figures=figures,
        charts=charts,
        asked=region,
    )
