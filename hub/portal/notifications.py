"""Notification e-mails (``/portal/notifications``, an organisation's ``admin``): which kinds the
organisation receives. Every kind is on until an administrator turns it off."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from werkzeug.wrappers import Response
from wtforms import SelectMultipleField

from hub.mail import preferences
from hub.portal.auth import current_portal_actor, current_user, role_required
from hub.portal.blueprint import bp
from hub.web import db


class NotificationsForm(FlaskForm):
    on = SelectMultipleField("Emails your organisation receives", widget=GovCheckboxesInput())


@bp.route("/notifications", methods=["GET", "POST"])
@role_required()
def notifications() -> str | Response:
    user = current_user()
    assert user is not None
    if user.role != "admin":
        abort(403)
    kinds = preferences.kinds_for(user.organisation_kind)
    form = NotificationsForm()
    form.on.choices = [(kind, preferences.KINDS[kind][0]) for kind in kinds]
    if form.validate_on_submit():
        preferences.set_on(
            db(),
            current_portal_actor(),
            user.organisation_id,
            user.organisation_kind,
            form.on.data or [],
        )
        flash("Your notification settings have been saved.", "success")
        return redirect(url_for("portal.notifications"))
    if not form.is_submitted():
        off = preferences.choices(db(), user.organisation_id)
        form.on.data = [kind for kind in kinds if kind not in off]
    return render_template("portal/notifications.html", form=form, kinds=kinds)
