"""You said, we did: partners read what the regulator did with what their community told it, and
the regulator's engagement staff record it (the API's service, audit event and webhooks)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from hub.errors import ValidationFailed
from hub.exchange.outcomes.services import (
    MAX_RECORDS,
    MAX_REPORT_URL,
    MAX_SUMMARY,
    Chosen,
    create_outcome,
    list_outcomes,
    records_at_location,
    records_by_reference,
)
from hub.exchange.records.models import ExperienceRecord
from hub.identity.models import Organisation
from hub.identity.services import list_organisations
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.forms import GovDateField, GovRadioField
from hub.portal.pages import PARTNER_ROLES
from hub.registry.services import is_location_id
from hub.web import db

LIST_LIMIT = 100
# How each kind of outcome reads to a volunteer relaying it to the person who spoke up.
KIND_WORDS = {
    "used-in-inspection": "Used in an inspection",
    "shared-with-provider": "Shared with the care provider",
    "informed-monitoring": "Helped us keep watch on the service",
    "safeguarding-referral": "Passed on to keep someone safe",
    "no-action-yet": "Read by the regulator, no action yet",
}


@bp.route("/outcomes", methods=["GET"])
@role_required(*PARTNER_ROLES)
def outcomes() -> str:
    actor = current_portal_actor()
    items, _ = list_outcomes(db(), actor, limit=LIST_LIMIT)
    ids = {uuid.UUID(i) for item in items for i in item["record_ids"]}
    references: dict[uuid.UUID, str] = {}
    if ids:
        rows = db().execute(
            sa.select(ExperienceRecord.id, ExperienceRecord.partner_record_id).where(
                ExperienceRecord.id.in_(ids),
                ExperienceRecord.organisation_id == actor.organisation_id,
            )
        )
        references = {record_id: reference for record_id, reference in rows}
    shown = [
        {
            **item,
            "kind_words": KIND_WORDS.get(item["kind"], item["kind"]),
            "references": sorted(references.get(uuid.UUID(i), i) for i in item["record_ids"]),
        }
        for item in items
    ]
    return render_template("portal/outcomes.html", items=shown)


class OutcomeForm(FlaskForm):
    kind = GovRadioField(
        "What was done?",
        choices=[SelectChoice(value, words) for value, words in KIND_WORDS.items()],
        validators=[InputRequired(message="Select what was done")],
    )
    summary = TextAreaField(
        "Summary for partners",
        description="Partners pass this on to the people who spoke up, so write it for them.",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter a summary of what was done"),
            Length(max=MAX_SUMMARY, message=f"Summary must be {MAX_SUMMARY} characters or fewer"),
        ],
    )
    occurred_on = GovDateField(
        "When was it done?",
        description="For example, 27 3 2026",
        named="the date of the action",
        required=True,
    )
    report_url = StringField(
        "Link to a report (optional)",
        description="A web address starting https://, for example an inspection report.",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=MAX_REPORT_URL, message="The link is too long"),
        ],
    )
    choose_by = GovRadioField(
        "Which records informed it?",
        choices=[
            SelectChoice("reference", "Records a partner sent, by the partner's references"),
            SelectChoice("location", "Every record about a care location in a period"),
        ],
        validators=[InputRequired(message="Select how to choose the records")],
    )
    partner = SelectField("Partner", widget=GovSelect(), validate_choice=False)
    references = TextAreaField(
        "The partner's references",
        description=f"One on each line, as the partner gave them; at most {MAX_RECORDS}.",
        widget=GovTextArea(),
    )
    location_id = StringField(
        "Care location ID", description="For example, 1-000000001", widget=GovTextInput()
    )
    period_from = GovDateField("Experiences from", named="the first day of the period")
    period_to = GovDateField("Experiences to", named="the last day of the period")


def _partners() -> list[Organisation]:
    return [org for org in list_organisations(db()) if org.is_partner]


def _choose(form: OutcomeForm, partners: dict[str, Organisation]) -> Chosen | None:
    """The records the form names, or None with the form's errors set."""
    if form.choose_by.data == "reference":
        references = (form.references.data or "").splitlines()
        if form.partner.data not in partners:
            form.partner.errors = ["Select the partner that sent the records"]
        if not any(r.strip() for r in references):
            form.references.errors = ["Enter at least one of the partner's references"]
        if form.partner.errors or form.references.errors:
            return None
        chosen = records_by_reference(db(), partners[form.partner.data].id, references)
        if chosen.missing:
            form.references.errors = [
                "The partner has no record with these references (or they were withdrawn): "
                + ", ".join(chosen.missing)
            ]
            return None
        return chosen
    location_id = (form.location_id.data or "").strip()
    if not is_location_id(location_id):
        form.location_id.errors = ["Enter a care location ID, like 1-000000001"]
    for period in (form.period_from, form.period_to):
        if period.data is None and not period.errors:
            period.errors = [f"Enter {period.named}"]
    if form.location_id.errors or form.period_from.errors or form.period_to.errors:
        return None
    assert form.period_from.data is not None and form.period_to.data is not None
    return records_at_location(db(), location_id, form.period_from.data, form.period_to.data)


# Service errors by field, onto the form field that shows them.
_FIELDS = {"period_to": "period_to", "period_from": "period_from", "references": "references"}


@bp.route("/outcomes/new", methods=["GET", "POST"])
@role_required("engagement")
def new_outcome() -> str | Response:
    partners = {str(org.id): org for org in _partners()}
    form = OutcomeForm()
    form.partner.choices = [SelectChoice("", "Choose a partner")] + [
        SelectChoice(key, org.name) for key, org in partners.items()
    ]
    if form.validate_on_submit():
        try:
            chosen = _choose(form, partners)
            if chosen is not None and not chosen.record_ids:
                form.location_id.errors = ["No records match this care location and period"]
                chosen = None
            if chosen is not None and form.occurred_on.data is not None:
                by_location = form.choose_by.data == "location"
                created = create_outcome(
                    db(),
                    current_portal_actor(),
                    kind=form.kind.data or "",
                    summary=(form.summary.data or "").strip(),
                    location_id=(form.location_id.data or "").strip() if by_location else None,
                    record_ids=chosen.record_ids,
                    report_url=(form.report_url.data or "").strip() or None,
                    occurred_on=form.occurred_on.data,
                )
                count = len(created["record_ids"])
                flash(
                    f"Outcome recorded against {count} record{'s' if count != 1 else ''}. "
                    "Partners whose people asked to hear back can now see it.",
                    "success",
                )
                return redirect(url_for("portal.new_outcome"))
        except ValidationFailed as exc:
            for name, messages in (exc.errors or {}).items():
                field = getattr(form, _FIELDS.get(name, name), None)
                if name == "occurred_on":
                    # The service's "Must not be in the future." names no field; say which.
                    messages = [f"{form.occurred_on.named_as_subject} must be today or in the past"]
                if field is not None:
                    field.errors = [m.rstrip(".") for m in messages]
                else:
                    form.choose_by.errors = [m.rstrip(".") for m in messages]
    recent, _ = list_outcomes(db(), current_portal_actor(), limit=20)
    return render_template(
        "portal/outcome_new.html",
        form=form,
        recent=[{**i, "kind_words": KIND_WORDS.get(i["kind"], i["kind"])} for i in recent],
    )
