"""Partners (the regulator's ``admin``): create and suspend partner organisations, their
agreements, API clients and users, and each partner's submissions, ledger and webhook health
at a glance. The same services as the hub's commands, with their audit events."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovTextArea,
    GovTextInput,
)
from werkzeug.wrappers import Response
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from hub.clock import utcnow
from hub.errors import Conflict, ValidationFailed
from hub.exchange.insight.partners import partner_overview
from hub.identity import accounts, clients
from hub.identity.models import PARTNER_KINDS, SCOPES, SCOPES_BY_KIND
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.forms import GovDateField, GovRadioField
from hub.portal.labels import vocabulary_labels
from hub.web import db

KIND_WORDS = {
    "charity": "A charity",
    "healthwatch": "A local Healthwatch",
    "community_group": "A community group",
}
# The regulator's admin, not a partner's.
REGULATOR = ("regulator",)


class AgreementForm(FlaskForm):
    condition_areas = SelectMultipleField(
        "Condition areas it may exchange data for",
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    valid_from = GovDateField("Starts on", named="the date the agreement starts", required=True)
    valid_to = GovDateField(
        "Ends on (optional)",
        description="Leave blank for no end date.",
        named="the date the agreement ends",
    )
    lawful_basis_note = TextAreaField(
        "Lawful basis",
        description="For example: UK GDPR Article 6(1)(e) and 9(2)(h); the agreement signed "
        "on 1 April 2026.",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter the lawful basis the exchange rests on"),
            Length(max=2000, message="The lawful basis must be 2000 characters or fewer"),
        ],
    )


class PartnerForm(AgreementForm):
    # The page asks who the partner is before its agreement.
    page_order = ("name", "kind", "condition_areas", "valid_from", "valid_to", "lawful_basis_note")
    name = StringField(
        "Name of the organisation",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the organisation's name"),
            Length(max=200, message="The name must be 200 characters or fewer"),
        ],
    )
    kind = GovRadioField(
        "What kind of organisation is it?",
        choices=[SelectChoice(kind, KIND_WORDS[kind]) for kind in PARTNER_KINDS],
        validators=[InputRequired(message="Select what kind of organisation it is")],
    )


def _areas(form: AgreementForm) -> None:
    form.condition_areas.choices = [
        SelectChoice(area, label) for area, label in vocabulary_labels("condition_area").items()
    ]


def _apply(form: FlaskForm, exc: ValidationFailed | Conflict, fallback: str) -> None:
    for name, messages in (exc.errors or {fallback: [exc.detail or ""]}).items():
        field = getattr(form, name, None) or getattr(form, fallback)
        field.errors = [m.rstrip(".") for m in messages]


@bp.route("/partners", methods=["GET", "POST"])
@role_required("admin", kinds=REGULATOR)
def partners() -> str | Response | tuple[str, int]:
    form = PartnerForm()
    _areas(form)
    if form.validate_on_submit():
        try:
            org = clients.create_partner(
                db(),
                current_portal_actor(),
                name=form.name.data or "",
                kind=form.kind.data or "",
                condition_areas=list(form.condition_areas.data or []),
                valid_from=form.valid_from.data,  # type: ignore[arg-type]
                valid_to=form.valid_to.data,
                lawful_basis_note=form.lawful_basis_note.data or "",
            )
        except Conflict as exc:
            form.name.errors = [(exc.detail or "").rstrip(".")]
        except ValidationFailed as exc:
            _apply(form, exc, "name")
        else:
            flash(f"{org.name} is a partner now.", "success")
            return redirect(url_for("portal.partner", organisation_id=org.id))
    rows = partner_overview(db(), current_portal_actor(), now=utcnow())
    page = render_template("portal/partners.html", form=form, rows=rows, kinds=KIND_WORDS)
    return (page, 400) if form.errors else page


def _detail(
    agreement_form: AgreementForm | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> tuple[str, int]:
    actor = current_portal_actor()
    organisation_id = uuid.UUID(str(request.view_args["organisation_id"]))  # type: ignore[index]
    org = clients.partner(db(), actor, organisation_id)
    form = agreement_form or AgreementForm()
    _areas(form)
    row = next(
        r for r in partner_overview(db(), actor, now=utcnow()) if r.organisation.id == org.id
    )
    page = render_template(
        "portal/partner.html",
        org=org,
        row=row,
        form=form,
        agreements=sorted(org.agreements, key=lambda a: a.valid_from, reverse=True),
        users=clients.list_users(db(), actor, org.id),
        clients=clients.list_clients(db(), actor, org.id),
        scopes=[(scope, SCOPES[scope]) for scope in sorted(SCOPES_BY_KIND[org.kind])],
        kinds=KIND_WORDS,
        today=utcnow().date(),
        errors=errors or {},
    )
    return page, status


@bp.route("/partners/<uuid:organisation_id>", methods=["GET"])
@role_required("admin", kinds=REGULATOR)
def partner(organisation_id: uuid.UUID) -> tuple[str, int]:
    return _detail()


@bp.route("/partners/<uuid:organisation_id>/agreements", methods=["POST"])
@role_required("admin", kinds=REGULATOR)
def partner_agreement(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    form = AgreementForm()
    _areas(form)
    if not form.validate_on_submit():
        return _detail(form, 400)
    try:
        clients.new_agreement(
            db(),
            current_portal_actor(),
            organisation_id,
            condition_areas=list(form.condition_areas.data or []),
            valid_from=form.valid_from.data,  # type: ignore[arg-type]
            valid_to=form.valid_to.data,
            lawful_basis_note=form.lawful_basis_note.data or "",
        )
    except ValidationFailed as exc:
        _apply(form, exc, "condition_areas")
        return _detail(form, 400)
    flash("The new agreement is recorded.", "success")
    return redirect(url_for("portal.partner", organisation_id=organisation_id))


@bp.route("/partners/<uuid:organisation_id>/suspension", methods=["POST"])
@role_required("admin", kinds=REGULATOR)
def partner_suspension(organisation_id: uuid.UUID) -> Response:
    suspend = request.form.get("suspend") == "yes"
    org = clients.suspend_partner(db(), current_portal_actor(), organisation_id, suspend)
    flash(
        f"{org.name} is suspended: none of its API clients work until you reinstate it."
        if suspend
        else f"{org.name} is reinstated.",
        "success",
    )
    return redirect(url_for("portal.partner", organisation_id=organisation_id))


@bp.route("/partners/<uuid:organisation_id>/clients", methods=["POST"])
@role_required("admin", kinds=REGULATOR)
def partner_client(organisation_id: uuid.UUID) -> str | tuple[str, int]:
    org = clients.partner(db(), current_portal_actor(), organisation_id)
    scopes = request.form.getlist("scopes")
    name = (request.form.get("name") or "").strip()[:200]
    # Said beside the choices and in the error summary, as the page's other forms are.
    if not scopes:
        return _detail(status=400, errors={"scopes": "Choose at least one thing the client may do"})
    try:
        new = clients.add_client(db(), current_portal_actor(), org.id, scopes=scopes, name=name)
    except ValidationFailed as exc:
        return _detail(status=400, errors={"scopes": (exc.detail or "").rstrip(".")})
    return render_template(
        "portal/organisation_secret.html",
        title=f"API client created for {org.name}",
        items=[("Client ID", new.client.client_id), ("Client secret", new.client_secret)],
        back_url=url_for("portal.partner", organisation_id=org.id),
        back_text=f"Back to {org.name}",
        back="#clients",
    )


@bp.route("/partners/<uuid:organisation_id>/clients/<client_id>/revoke", methods=["POST"])
@role_required("admin", kinds=REGULATOR)
def partner_client_revoke(organisation_id: uuid.UUID, client_id: str) -> Response:
    clients.disable_partner_client(db(), current_portal_actor(), organisation_id, client_id)
    flash(f"Client {client_id} is revoked: its tokens no longer work.", "success")
    return redirect(url_for("portal.partner", organisation_id=organisation_id) + "#clients")


@bp.route("/partners/<uuid:organisation_id>/users/<uuid:user_id>/deactivate", methods=["POST"])
@role_required("admin", kinds=REGULATOR)
def partner_user_deactivate(organisation_id: uuid.UUID, user_id: uuid.UUID) -> Response:
    clients.partner_user(db(), current_portal_actor(), organisation_id, user_id)
    user = accounts.deactivate(db(), current_portal_actor(), user_id)
    flash(f"{user.email} can no longer sign in, and has been signed out.", "success")
    return redirect(url_for("portal.partner", organisation_id=organisation_id) + "#users")
