"""Pages behind e-mailed links: ask for a password reset, set a password from a reset link or an
invitation, and invite a user (``admin``). Views parse the form, call a service, render."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from hub.errors import Conflict, NotFound, ValidationFailed
from hub.identity import links, signin
from hub.identity.services import ROLES_BY_KIND
from hub.portal.auth import current_portal_actor, current_user, end_session, role_required
from hub.portal.blueprint import bp
from hub.portal.forms import GovRadioField, NewPasswordForm, error_messages
from hub.web import client_ip, db, hub_context

# Everyone who asks is told the same, whether or not the address has an account.
RESET_SENT = (
    "If the address is registered, we have sent a link to reset the password. It works once, "
    "for 1 hour."
)
ROLE_WORDS = {
    "uploader": "Uploader: sends spreadsheets and reads the organisation's records",
    "admin": "Administrator: everything an uploader does, and manages the organisation's users",
    "inspector": "Inspector: the inspector view and the safeguarding queue",
    "engagement": "Engagement: as an inspector, and records outcomes and publishes releases",
    "auditor": "Auditor: the audit log, read only",
}
_EMAIL_RULES = [
    DataRequired(message="Enter an email address"),
    Length(max=320, message="Email address must be 320 characters or fewer"),
    Regexp(
        r"^[^@\s]+@[^@\s]+$",
        message="Enter an email address in the correct format, like name@example.com",
    ),
]


class ResetRequestForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=_EMAIL_RULES)


class SetPasswordForm(NewPasswordForm):
    token = HiddenField()


class InviteForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=_EMAIL_RULES)
    role = GovRadioField(
        "Role",
        choices=[],
        validators=[DataRequired(message="Choose a role")],
        validate_choice=True,
    )


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset() -> str | Response:
    form = ResetRequestForm()
    if form.validate_on_submit():
        links.request_reset(
            db(),
            signin.visitor(g.get("request_id"), client_ip()),
            email=form.email.data or "",
            public_url=hub_context().settings.public_url,
        )
        return render_template("portal/password_reset_sent.html", message=RESET_SENT)
    return render_template("portal/password_reset.html", form=form)


def _set_password(purpose: links.Purpose, template_title: str) -> str | Response | tuple[str, int]:
    form = SetPasswordForm()
    token = request.values.get("token", "")
    if request.method == "GET":
        form.token.data = token
    link = links.find(db(), token, purpose)
    if link is None:
        return render_template("portal/link_expired.html", purpose=purpose), 404
    if form.validate_on_submit():
        try:
            links.complete(
                db(),
                signin.visitor(g.get("request_id"), client_ip()),
                token=token,
                purpose=purpose,
                new_password=form.password.data or "",
            )
        except NotFound:
            return render_template("portal/link_expired.html", purpose=purpose), 404
        except ValidationFailed as exc:
            form.password.errors = error_messages((exc.errors or {}).get("password", [exc.detail]))
        else:
            # Whoever was signed in in this browser is not any more.
            if current_user() is not None:
                end_session()
            flash(
                "Your password has been set. Sign in with it now."
                if purpose == "invitation"
                else "Your password has been reset. Sign in with your new password.",
                "success",
            )
            return redirect(url_for("portal.sign_in"))
    return render_template(
        "portal/set_password.html", form=form, link=link, title=template_title, purpose=purpose
    )


@bp.route("/password-reset/new", methods=["GET", "POST"])
def reset_password() -> str | Response | tuple[str, int]:
    return _set_password("password-reset", "Choose a new password")


@bp.route("/invitation", methods=["GET", "POST"])
def accept_invitation() -> str | Response | tuple[str, int]:
    return _set_password("invitation", "Accept your invitation")


@bp.route("/users/invite", methods=["GET", "POST"])
@role_required()
def invite_user() -> str | Response | tuple[str, int]:
    user = current_user()
    assert user is not None
    if user.role != "admin":
        abort(403)
    form = InviteForm()
    roles = sorted(ROLES_BY_KIND.get(user.organisation_kind, frozenset()))
    form.role.choices = [(role, ROLE_WORDS.get(role, role)) for role in roles]
    if form.validate_on_submit():
        try:
            links.invite(
                db(),
                current_portal_actor(),
                organisation_id=user.organisation_id,
                email=form.email.data or "",
                role=form.role.data or "",
                public_url=hub_context().settings.public_url,
            )
        except (ValidationFailed, Conflict) as exc:
            for field, messages in (exc.errors or {"email": [exc.detail]}).items():
                getattr(form, field, form.email).errors = error_messages(messages)
            return render_template("portal/invite.html", form=form), 400
        flash(f"We have sent an invitation to {form.email.data}. It works for 7 days.", "success")
        return redirect(url_for("portal.invite_user"))
    status = 400 if form.errors else 200
    return render_template("portal/invite.html", form=form), status
