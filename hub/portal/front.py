"""The hub's front door: ``/`` says what the hub is and links to the portal, the API reference
and the OpenAPI document, so the address ``make run`` prints is never a dead end."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from hub.portal.blueprint import bp as portal

front = Blueprint("front", __name__)


@front.get("/")
def index() -> str:
    return render_template("portal/front.html", portal_user=None, portal_navigation=[])


@portal.get("/")
def home_with_slash() -> Response:
    """``/portal/`` is the portal's home, as ``/portal`` is."""
    return redirect(url_for("portal.home"), code=308)
