"""The portal (``/portal``): server-rendered GOV.UK-style pages for people with only a browser.

Adding a page::

    # hub/portal/upload.py
    from hub.portal.blueprint import bp
    from hub.portal.auth import current_portal_actor, role_required

    @bp.route("/upload", methods=["GET", "POST"])
    @role_required("uploader", "admin")
    def upload() -> str: ...  # a FlaskForm; services get current_portal_actor()

then import the module below (routes must exist before the blueprint is registered) and, if
its endpoint is in :data:`hub.portal.pages.PAGES`, the home page and the navigation link to it.
Templates extend ``portal/base.html``. CSRF is checked for every POST under ``/portal``; errors
raised in a view become the portal's error pages.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import BaseLoader, ChoiceLoader, PackageLoader, PrefixLoader

# Importing a page module adds its routes to ``bp``.
from hub.portal import (  # noqa: F401
    account,
    audit,
    coverage,
    datasets,
    errors,
    find_location,
    front,
    inspector,
    labels,
    links,
    notifications,
    organisation,
    outcomes,
    partners,
    records,
    releases,
    safeguarding,
    spreadsheet_help,
    two_factor,
    upload,
    views,
    withdraw,
)
from hub.portal.auth import limit_sign_in
from hub.portal.blueprint import bp, csrf
from hub.portal.forms import error_summary
from hub.portal.front import front as front_door
from hub.web import hub_context


class PortalSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked ``Secure`` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _template_loader(app: Flask) -> BaseLoader:
    macros = PrefixLoader(
        {
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }
    )
    own = app.jinja_loader
    return ChoiceLoader([own, macros]) if own is not None else macros


def init_portal(app: Flask) -> None:
    """Register the portal: pages, templates, sessions, CSRF and the sign-in rate limit."""
    app.config.update(
        # CSRF is checked by the portal blueprint only: API and OAuth clients send no tokens.
        WTF_CSRF_CHECK_DEFAULT=False,
        # The token lives as long as the session, which the server ends (hub.identity.sessions).
        WTF_CSRF_TIME_LIMIT=None,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hub_context(app).settings.session_max_hours),
        SESSION_COOKIE_PATH="/portal",
    )
    app.session_interface = PortalSessionInterface()
    app.jinja_loader = _template_loader(app)
    # The GOV.UK macros are written for these settings; without them pages carry kilobytes of
    # blank lines.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    WTFormsHelpers(app)
    # The error summary over a form's errors (base.html): a date links to its part to mend.
    app.jinja_env.globals["portal_error_summary"] = error_summary
    app.register_blueprint(bp)
    app.register_blueprint(front_door)

    limit_sign_in(app, hub_context(app).settings.sign_in_rate_limit)
