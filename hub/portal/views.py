"""Sign in, sign out and the home page. Views parse the form, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.identity import signin
from hub.portal.auth import (
    current_portal_actor,
    current_session_id,
    current_user,
    end_session,
    role_required,
    safe_next,
    start_session,
)
from hub.portal.blueprint import bp
from hub.portal.forms import ConfirmForm, SignInForm
from hub.portal.pages import pages_for
from hub.portal.two_factor import SUSPENDED, begin_second_factor
from hub.web import client_ip, db

# The same words for every failure (an unknown address, a wrong password, too many attempts), so
# none is told apart from another.
WRONG_DETAILS = (
    "The email address or password is not right, or there have been too many attempts to sign "
    "in. Check them and try again in a few minutes"
)


def _landing() -> str:
    return safe_next(request.args.get("next")) or url_for("portal.home")


@bp.context_processor
def _layout_context() -> dict[str, Any]:
    user = current_user()
    navigation = []
    if user is not None:
        navigation.append(
            {
                "href": url_for("portal.home"),
                "text": "Home",
                "active": request.endpoint == "portal.home",
            }
        )
        for page in pages_for(user.role, user.organisation_kind):
            if page.endpoint in current_app.view_functions:
                navigation.append(
                    {
                        "href": url_for(page.endpoint),
                        "text": page.title,
                        "active": request.endpoint == page.endpoint,
                    }
                )
    return {"portal_user": user, "portal_navigation": navigation}


@bp.route("", methods=["GET"])
@role_required()
def home() -> str:
    user = current_user()
    assert user is not None
    pages = [
        {"page": page, "available": page.endpoint in current_app.view_functions}
        for page in pages_for(user.role, user.organisation_kind)
    ]
    return render_template("portal/home.html", pages=pages)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response:
    if current_user() is not None:
        return redirect(_landing())
    form = SignInForm()
    if form.validate_on_submit():
        result = signin.sign_in(
            db(),
            signin.visitor(g.get("request_id"), client_ip()),
            email=form.email.data or "",
            password=form.password.data or "",
        )
        # The request commits failures too: they count towards the lock-out and are audited.
        if result.ok and result.user is not None:
            start_session(result.user)
            return redirect(_landing())
        if result.outcome == "second-factor" and result.user is not None:
            return begin_second_factor(result.user.id, safe_next(request.args.get("next")))
        form.password.errors = [SUSPENDED if result.outcome == "suspended" else WRONG_DETAILS]
    action = url_for("portal.sign_in", next=safe_next(request.args.get("next")))
    return render_template("portal/sign_in.html", form=form, action=action)


@bp.route("/sign-out", methods=["GET", "POST"])
def sign_out() -> str | Response:
    if current_user() is None:
        return redirect(url_for("portal.sign_in"))
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("portal/sign_out.html", confirm=form)
    signin.sign_out(db(), current_portal_actor(), current_session_id())
    end_session()
    flash("You have signed out.", "success")
    return redirect(url_for("portal.sign_in"))
