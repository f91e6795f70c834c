"""How to fill in the spreadsheet: the template's columns, explained (linked from the upload
page and from every row error)."""

from __future__ import annotations

from flask import render_template

from hub.exchange.csv.guide import spreadsheet_guide
from hub.portal.auth import role_required
from hub.portal.blueprint import bp
from hub.portal.pages import PARTNER_ROLES
from hub.web import db


@bp.route("/help/spreadsheet", methods=["GET"])
@role_required(*PARTNER_ROLES)
def spreadsheet_help() -> str:
    return render_template("portal/help_spreadsheet.html", columns=spreadsheet_guide(db()))
