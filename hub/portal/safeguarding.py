"""The safeguarding queue page: open alerts by due time, acknowledged and referred from here."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from hub.clock import utcnow
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.pages import REGULATOR_ROLES
from hub.safeguarding import services
from hub.safeguarding.rules import ACKNOWLEDGED, OPEN
from hub.web import db

QUEUE_LIMIT = 200


class AcknowledgeForm(FlaskForm):
    """Nothing but the CSRF token: the button is the whole form."""


class ReferForm(FlaskForm):
    reason = TextAreaField(
        "Where you referred the concern, and why",
        validators=[
            DataRequired(message="Say where you referred the concern and why"),
            Length(
                max=services.MAX_REASON,
                message=f"Reason must be {services.MAX_REASON} characters or fewer",
            ),
        ],
    )


def _queue(status: str) -> list[dict[str, Any]]:
    rows, _ = services.list_alerts(db(), current_portal_actor(), status=status, limit=QUEUE_LIMIT)
    now = utcnow()
    return [services.describe(alert, now=now) for alert in rows]


@bp.route("/safeguarding", methods=["GET"])
@role_required(*REGULATOR_ROLES)
def safeguarding() -> str:
    return render_template(
        "portal/safeguarding.html",
        open_alerts=_queue(OPEN),
        acknowledged_alerts=_queue(ACKNOWLEDGED),
        max_reason=services.MAX_REASON,
    )


@bp.route("/safeguarding/<uuid:alert_id>/acknowledge", methods=["POST"])
@role_required(*REGULATOR_ROLES)
def acknowledge_alert(alert_id: uuid.UUID) -> Response:
    if AcknowledgeForm().validate_on_submit():
        services.acknowledge(db(), current_portal_actor(), alert_id, now=utcnow())
        flash("Alert acknowledged.", "success")
    return redirect(url_for("portal.safeguarding"))


@bp.route("/safeguarding/<uuid:alert_id>/refer", methods=["POST"])
@role_required(*REGULATOR_ROLES)
def refer_alert(alert_id: uuid.UUID) -> Response:
    form = ReferForm()
    if form.validate_on_submit():
        services.refer(db(), current_portal_actor(), alert_id, reason=form.reason.data or "")
        flash("Alert marked as referred.", "success")
    else:
        # A redirect keeps the queue's address; the message says what to fix.
        flash(next(iter(form.reason.errors), "Say where you referred the concern and why"))
    return redirect(url_for("portal.safeguarding"))
