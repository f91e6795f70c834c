"""Your account (``/portal/account``): change the password, sign out everywhere.

Open to every signed-in user. Each change ends every session of the user (the services do it),
so the user signs in again afterwards.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from hub.errors import ValidationFailed
from hub.identity import accounts, sessions
from hub.portal.auth import current_portal_actor, current_user, end_session, role_required
from hub.portal.blueprint import bp
from hub.portal.forms import NewPasswordForm, error_messages
from hub.web import db


class PasswordForm(NewPasswordForm):
    # The page asks for the current password first.
    page_order = ("current_password", "password", "confirm")
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Enter your current password"),
            Length(max=accounts.MAX_PASSWORD_LENGTH, message="Enter your current password"),
        ],
    )


class EverywhereForm(FlaskForm):
    """Nothing but the CSRF token: the button is the whole form."""


def _page(form: PasswordForm | None = None, status: int = 200) -> tuple[str, int]:
    user = current_user()
    assert user is not None
    page = render_template(
        "portal/account.html",
        form=form or PasswordForm(),
        everywhere=EverywhereForm(),
        live_sessions=sessions.live_count(db(), user.id),
    )
    return page, status


@bp.route("/account", methods=["GET"])
@role_required()
def account() -> tuple[str, int]:
    return _page()


@bp.route("/account/password", methods=["POST"])
@role_required()
def change_password() -> tuple[str, int] | Response:
    user = current_user()
    assert user is not None
    form = PasswordForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        accounts.change_password(
            db(),
            current_portal_actor(),
            user.id,
            current_password=form.current_password.data or "",
            new_password=form.password.data or "",
        )
    except ValidationFailed as exc:
        for field, messages in (exc.errors or {}).items():
            getattr(form, field, form.password).errors = error_messages(messages)
        return _page(form, 400)
    end_session()
    flash("Your password has been changed. Sign in with your new password.", "success")
    return redirect(url_for("portal.sign_in"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@role_required()
def sign_out_everywhere() -> Response:
    user = current_user()
    assert user is not None
    if EverywhereForm().validate_on_submit():
        ended = sessions.sign_out_everywhere(
            db(), current_portal_actor(), accounts.get_user(db(), user.id)
        )
        end_session()
        flash(
            f"You have signed out everywhere ({ended} "
            f"{'session' if ended == 1 else 'sessions'} ended).",
            "success",
        )
        return redirect(url_for("portal.sign_in"))
    return redirect(url_for("portal.account"))
