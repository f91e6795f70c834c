"""Withdrawing a record when a person asks: find it by the partner's own reference, see what
will happen, confirm with a reason, and keep the receipt.

The withdrawal is the API's (``POST /api/v1/experiences/{id}/withdrawal``): the same service
erases the same columns and writes the same ``consent.withdrawn`` audit event.
"""

from __future__ import annotations

import json
import uuid

from flask import Response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from hub.errors import NotFound
from hub.exchange.records.access import find_own_record, get_record
from hub.exchange.records.models import WITHDRAWN
from hub.exchange.records.withdrawal import (
    WITHDRAWAL_REASONS,
    withdraw_record,
    withdrawal_receipt,
)
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.forms import GovRadioField
from hub.portal.pages import PARTNER_ROLES
from hub.storage import attachment_disposition
from hub.web import db

MAX_REFERENCE = 100


class WithdrawForm(FlaskForm):
    reason = GovRadioField(
        "Why is this record being withdrawn?",
        choices=[SelectChoice(value, label) for value, label in WITHDRAWAL_REASONS.items()],
        validators=[InputRequired(message="Select why the record is being withdrawn")],
    )


@bp.route("/records/withdraw", methods=["GET"])
@role_required(*PARTNER_ROLES)
def find_withdrawal() -> str | BaseResponse | tuple[str, int]:
    reference = (request.args.get("reference") or "").strip()
    error = None
    if "reference" in request.args:
        if not reference:
            error = "Enter your organisation's reference for the record"
        elif len(reference) > MAX_REFERENCE:
            error = f"The reference must be {MAX_REFERENCE} characters or fewer"
        else:
            try:
                record_id = find_own_record(db(), current_portal_actor(), reference)
            except NotFound:
                error = (
                    "Your organisation has no record with that reference. Check it against "
                    "the spreadsheet or system you sent it from"
                )
            else:
                return redirect(url_for("portal.withdraw", record_id=record_id))
    page = render_template("portal/withdraw_find.html", reference=reference, error=error)
    if error:
        return page, 400 if not reference or len(reference) > MAX_REFERENCE else 404
    return page


@bp.route("/records/<uuid:record_id>/withdraw", methods=["GET", "POST"])
@role_required(*PARTNER_ROLES)
def withdraw(record_id: uuid.UUID) -> str | BaseResponse:
    actor = current_portal_actor()
    record = get_record(db(), actor, record_id)
    if record["status"] == WITHDRAWN:
        return redirect(url_for("portal.withdrawal", record_id=record_id))
    form = WithdrawForm()
    if form.validate_on_submit():
        withdraw_record(db(), actor, record_id, reason=form.reason.data)
        return redirect(url_for("portal.withdrawal", record_id=record_id))
    return render_template("portal/withdraw.html", form=form, record=record)


@bp.route("/records/<uuid:record_id>/withdrawal", methods=["GET"])
@role_required(*PARTNER_ROLES)
def withdrawal(record_id: uuid.UUID) -> str | BaseResponse:
    receipt = withdrawal_receipt(db(), current_portal_actor(), record_id)
    if receipt is None:
        return redirect(url_for("portal.withdraw", record_id=record_id))
    reason = receipt.event.details.get("reason") if receipt.event else None
    return render_template(
        "portal/withdrawal.html",
        receipt=receipt,
        reason=WITHDRAWAL_REASONS.get(reason or ""),
    )


@bp.route("/records/<uuid:record_id>/withdrawal/receipt.json", methods=["GET"])
@role_required(*PARTNER_ROLES)
def withdrawal_receipt_file(record_id: uuid.UUID) -> Response:
    receipt = withdrawal_receipt(db(), current_portal_actor(), record_id)
    if receipt is None:
        raise NotFound("This record's consent has not been withdrawn.")
    body = {
        "consent_receipt": receipt.consent_receipt,
        "audit_event": {"seq": receipt.event.seq, "hash": receipt.event.hash}
        if receipt.event
        else None,
    }
    name = f"withdrawal-{receipt.record['partner_record_id']}.json"
    return Response(
        json.dumps(body, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": attachment_disposition(name)},
    )
