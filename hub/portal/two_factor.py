"""Two-factor sign-in pages: the code step of signing in, and setting it up on the account page.

Set-up shows a QR code (inline SVG, no script) and the key to type, and turns two-factor sign-in
on once a code from the app is right; the recovery codes are shown then, once. Every change ends
every session of the user; this browser gets a fresh one, as its user just proved both factors.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hub.errors import ValidationFailed
from hub.identity import accounts, signin, two_factor
from hub.identity.models import PortalUser
from hub.portal.auth import (
    current_portal_actor,
    current_user,
    restart_session,
    role_required,
    safe_next,
    start_session,
    two_factor_required,
)
from hub.portal.blueprint import bp
from hub.portal.forms import error_messages
from hub.web import client_ip, db, hub_context

PENDING_KEY = "second_factor"
# Said only after the right password (and code), so it tells a guesser nothing.
SUSPENDED = (
    "Your organisation's access to the hub is suspended, so you cannot sign in. Ask the "
    "regulator's team why, or when it will be lifted"
)
SETUP_KEY = "two_factor_setup"
# The code step must follow the password within this time, and gets this many tries.
PENDING_SECONDS = 5 * 60
PENDING_TRIES = 5


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the code from your authenticator app"),
            Length(max=40, message="Enter the 6-digit code, or a recovery code"),
        ],
    )


class DisableForm(FlaskForm):
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Enter your password"),
            Length(max=accounts.MAX_PASSWORD_LENGTH, message="Enter your password"),
        ],
    )


def begin_second_factor(user_id: uuid.UUID, next_page: str | None) -> Response:
    """After a right password: remember who is signing in, and ask for the code."""
    session.clear()
    session[PENDING_KEY] = {"uid": str(user_id), "at": int(time.time()), "tries": 0}
    return redirect(url_for("portal.sign_in_code", next=next_page))


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return pending


@bp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code() -> str | Response | tuple[str, int]:
    pending = _pending()
    if pending is None:
        session.pop(PENDING_KEY, None)
        flash("Sign in again: the code must follow your password within 5 minutes.")
        return redirect(url_for("portal.sign_in"))
    form = CodeForm()
    next_page = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        result = signin.second_factor(
            db(),
            signin.visitor(g.get("request_id"), client_ip()),
            uuid.UUID(pending["uid"]),
            form.code.data or "",
            hub_secret=hub_context().secret_key,
        )
        if result.ok and result.user is not None:
            start_session(result.user)
            return redirect(next_page or url_for("portal.home"))
        if result.outcome == "suspended":
            session.pop(PENDING_KEY, None)
            flash(SUSPENDED)
            return redirect(url_for("portal.sign_in"))
        pending["tries"] = int(pending.get("tries", 0)) + 1
        if pending["tries"] >= PENDING_TRIES:
            session.pop(PENDING_KEY, None)
            flash("Sign in again: too many wrong codes.")
            return redirect(url_for("portal.sign_in"))
        session[PENDING_KEY] = pending
        form.code.errors = [two_factor.WRONG_CODE]
    status = 400 if form.errors else 200
    action = url_for("portal.sign_in_code", next=next_page)
    return render_template("portal/sign_in_code.html", form=form, action=action), status


def _setup_secret() -> str:
    secret = session.get(SETUP_KEY)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = two_factor.new_secret()
        session[SETUP_KEY] = secret
    return secret


def _two_factor_page(
    form: CodeForm | None = None, disable: DisableForm | None = None, status: int = 200
) -> tuple[str, int]:
    user = current_user()
    assert user is not None
    context: dict[str, Any] = {
        "form": form or CodeForm(),
        "disable": disable or DisableForm(),
        "required": two_factor_required(user.organisation_kind),
    }
    if user.has_two_factor:
        context["codes_left"] = two_factor.recovery_codes_left(db(), user.id)
    else:
        secret = _setup_secret()
        uri = two_factor.provisioning_uri(secret, user.email)
        context["qr"] = Markup(two_factor.qr_svg(uri))  # noqa: S704 - segno's own SVG markup
        context["key"] = two_factor.grouped(secret)
    return render_template("portal/two_factor.html", **context), status


# The endpoint role_required sends people to who must set up two-factor sign-in.
@bp.route("/account/two-factor", methods=["GET"], endpoint="two_factor")
@role_required(enrolling=True)
def two_factor_page() -> tuple[str, int]:
    return _two_factor_page()


def _codes_page(codes: list[str], heading: str) -> str:
    return render_template("portal/recovery_codes.html", codes=codes, heading=heading)


def _change_with_code(
    allowed: bool, change: Callable[[PortalUser, str], list[str]], heading: str
) -> str | tuple[str, int]:
    """A change proved by a code from the app: the page again with what is wrong, or the new
    recovery codes (once) after every other session of the user is ended."""
    user = current_user()
    assert user is not None
    form = CodeForm()
    if not allowed or not form.validate_on_submit():
        return _two_factor_page(form, status=400)
    try:
        codes = change(accounts.get_user(db(), user.id, for_update=True), form.code.data or "")
    except ValidationFailed as exc:
        form.code.errors = error_messages((exc.errors or {}).get("code", [exc.detail]))
        return _two_factor_page(form, status=400)
    restart_session(user.id)
    return _codes_page(codes, heading)


@bp.route("/account/two-factor", methods=["POST"])
@role_required(enrolling=True)
def enable_two_factor() -> str | tuple[str, int]:
    user = current_user()
    assert user is not None
    return _change_with_code(
        not user.has_two_factor,
        lambda account, code: two_factor.enable(
            db(),
            current_portal_actor(),
            account,
            secret=_setup_secret(),
            code=code,
            hub_secret=hub_context().secret_key,
        ),
        "Two-factor sign-in is on",
    )


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@role_required()
def new_recovery_codes() -> str | tuple[str, int]:
    user = current_user()
    assert user is not None
    return _change_with_code(
        user.has_two_factor,
        lambda account, code: two_factor.regenerate_recovery_codes(
            db(), current_portal_actor(), account, code=code, hub_secret=hub_context().secret_key
        ),
        "Your new recovery codes",
    )


@bp.route("/account/two-factor/disable", methods=["POST"])
@role_required()
def disable_two_factor() -> Response | tuple[str, int]:
    user = current_user()
    assert user is not None
    form = DisableForm()
    if not user.has_two_factor or not form.validate_on_submit():
        return _two_factor_page(disable=form, status=400)
    try:
        two_factor.disable(
            db(),
            current_portal_actor(),
            accounts.get_user(db(), user.id, for_update=True),
            password=form.password.data or "",
            required=two_factor_required(user.organisation_kind),
        )
    except ValidationFailed as exc:
        form.password.errors = error_messages((exc.errors or {}).get("password", [exc.detail]))
        return _two_factor_page(disable=form, status=400)
    restart_session(user.id)
    flash("Two-factor sign-in is off. You have been signed out everywhere else.", "success")
    return redirect(url_for("portal.account"))
