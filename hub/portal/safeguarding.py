"""The safeguarding queue page: alerts soonest due first, paged and filtered (status, category,
overdue), each with the location's name, the partner, why it was raised and the redacted words of
the account; acknowledged and referred from here."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from hub.clock import utcnow
from hub.errors import ValidationFailed
from hub.exchange.records.alert_queue import queue_page
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.pages import REGULATOR_ROLES
from hub.safeguarding import services
from hub.safeguarding.findings import CATEGORIES
from hub.safeguarding.services import ALL, QUEUE_STATUSES, TO_DO, QueueFilter
from hub.web import db

STATUS_LABELS = {
    TO_DO: "Still to act on (open or acknowledged)",
    "open": "Open",
    "acknowledged": "Acknowledged, not yet referred",
    "referred": "Referred",
    ALL: "All",
}
# The query parameters that say which part of the queue is shown, kept across actions.
_VIEW_ARGS = ("status", "category", "overdue", "page")


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


def _view_args() -> dict[str, Any]:
    return {k: v for k in _VIEW_ARGS if (v := request.args.get(k, "").strip())}


def _filters() -> tuple[QueueFilter, int, dict[str, str]]:
    """The filters and page asked for; what cannot be understood is named and left out."""
    errors: dict[str, str] = {}
    status = request.args.get("status", "").strip() or TO_DO
    if status not in QUEUE_STATUSES:
        errors["status"] = "Choose a status from the list"
        status = TO_DO
    category: str | None = request.args.get("category", "").strip() or None
    if category is not None and category not in CATEGORIES:
        errors["category"] = "Choose a category from the list"
        category = None
    raw_page, page = request.args.get("page", "").strip(), 1
    if raw_page:
        if re.fullmatch(r"[0-9]{1,6}", raw_page) and int(raw_page) > 0:
            page = int(raw_page)
        else:
            errors["page"] = "The page number must be a whole number, such as 2"
    overdue = request.args.get("overdue", "") in ("1", "on", "true", "yes")
    return QueueFilter(status, category, overdue), page, errors


@bp.route("/safeguarding", methods=["GET"])
@role_required(*REGULATOR_ROLES)
def safeguarding() -> str:
    filters, page, errors = _filters()
    try:
        queue = queue_page(db(), current_portal_actor(), filters, page=page, now=utcnow())
    except ValidationFailed:  # the filters are checked above; this keeps the page whole
        filters = QueueFilter()
        queue = queue_page(db(), current_portal_actor(), filters, page=1, now=utcnow())
    args: dict[str, Any] = {
        "status": filters.status,
        "category": filters.category,
        "overdue": "1" if filters.overdue else None,
    }
    return render_template(
        "portal/safeguarding.html",
        queue=queue,
        filters=filters,
        errors=errors,
        statuses=STATUS_LABELS,
        categories=CATEGORIES,
        page_url=lambda n: url_for("portal.safeguarding", **args, page=n),
        view_args={**{k: v for k, v in args.items() if v}, "page": queue.page},
        max_reason=services.MAX_REASON,
    )


@bp.route("/safeguarding/<uuid:alert_id>/acknowledge", methods=["POST"])
@role_required(*REGULATOR_ROLES)
def acknowledge_alert(alert_id: uuid.UUID) -> Response:
    if AcknowledgeForm().validate_on_submit():
        services.acknowledge(db(), current_portal_actor(), alert_id, now=utcnow())
        flash("Alert acknowledged.", "success")
    return redirect(url_for("portal.safeguarding", **_view_args()))


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
    return redirect(url_for("portal.safeguarding", **_view_args()))
