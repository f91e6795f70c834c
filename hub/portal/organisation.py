"""Your organisation (a partner's ``admin``): the agreement, users, API clients and webhooks.

Every change goes through the service the hub's commands and API use and writes its audit
event; secrets (a client's, a webhook's signing secret) are shown once, on the page that
answers the change, and never again.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from hub.clock import utcnow
from hub.errors import Conflict, ValidationFailed
from hub.exchange.notify import webhooks
from hub.exchange.notify.rules import events_for
from hub.identity import accounts, clients
from hub.identity.models import SCOPES, SCOPES_BY_KIND
from hub.identity.services import ROLES_BY_KIND, agreement_in_force
from hub.portal.auth import current_portal_actor, current_user, role_required
from hub.portal.blueprint import bp
from hub.portal.forms import error_messages
from hub.web import db, hub_context

RECENT_DELIVERIES = 10
# GOV.UK error messages end without a full stop.
EXPIRED = "The form had expired. Try again"
# What each webhook event tells, in the words of the people choosing them.
EVENT_WORDS = {
    "dataset.released": "A dataset your agreement covers has a new release",
    "outcome.created": "The regulator recorded an outcome on your records",
    "submission.completed": "An upload or batch you sent has finished",
    "consent.withdrawn": "A person withdrew consent",
    "safeguarding.alert": "A safeguarding alert was raised",
}


class ActionForm(FlaskForm):
    """The CSRF token of the page's small forms; their fields are read from the request."""


def _organisation_id() -> uuid.UUID:
    user = current_user()
    assert user is not None
    return user.organisation_id


def _page(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    actor = current_portal_actor()
    organisation_id = _organisation_id()
    org = clients.administered(db(), actor, organisation_id)
    endpoints, _ = webhooks.list_endpoints(db(), actor, limit=webhooks.MAX_ENDPOINTS, after=None)
    hooks = []
    for endpoint in endpoints:
        recent, _ = webhooks.list_deliveries(
            db(), actor, endpoint.id, limit=RECENT_DELIVERIES, after=None
        )
        hooks.append(
            {
                "endpoint": endpoint,
                "deliveries": recent,
                "failed": sum(d.status == "failed" for d in recent),
            }
        )
    today = utcnow().date()
    # A form refused comes back as the user left it: what they typed, the boxes they ticked.
    posted = request.method == "POST" and errors is not None
    new_client = posted and request.endpoint == "portal.create_api_client"
    new_webhook = posted and request.endpoint == "portal.register_webhook"
    page = render_template(
        "portal/organisation.html",
        org=org,
        agreement=agreement_in_force(db(), organisation_id, today),
        agreements=sorted(org.agreements, key=lambda a: a.valid_from, reverse=True),
        today=today,
        users=clients.list_users(db(), actor, organisation_id),
        roles=sorted(ROLES_BY_KIND.get(org.kind, frozenset())),
        clients=clients.list_clients(db(), actor, organisation_id),
        scopes=[(scope, SCOPES[scope]) for scope in sorted(SCOPES_BY_KIND[org.kind])],
        hooks=hooks,
        events=[(event, EVENT_WORDS.get(event, event)) for event in events_for(org.kind)],
        errors=errors or {},
        client_name=request.form.get("name", "") if new_client else "",
        chosen_scopes=set(request.form.getlist("scopes")) if new_client else set(),
        chosen_events=set(request.form.getlist("events")) if new_webhook else set(),
    )
    return page, status


def _checked() -> bool:
    return ActionForm().validate_on_submit()


def _refused(exc: ValidationFailed | Conflict, field: str) -> tuple[str, int]:
    # The service's sentence, then what it says of each field (which is often the remedy).
    messages = [exc.detail or "", *(m for ms in (exc.errors or {}).values() for m in ms)]
    return _page({field: ". ".join(error_messages(messages))}, 400)


@bp.route("/organisation", methods=["GET"])
@role_required("admin")
def organisation() -> tuple[str, int]:
    return _page()


@bp.route("/organisation/users/<uuid:user_id>/role", methods=["POST"])
@role_required("admin")
def change_user_role(user_id: uuid.UUID) -> Response | tuple[str, int]:
    if not _checked():
        return _page({"users": EXPIRED}, 400)
    if str(user_id) == str(current_portal_actor().id):
        return _page({"users": "You cannot change your own role. Ask another administrator"}, 400)
    try:
        user = accounts.change_role(
            db(), current_portal_actor(), user_id, request.form.get("role", "")
        )
    except ValidationFailed as exc:
        return _refused(exc, "users")
    flash(f"{user.email} is now {user.role}. They must sign in again.", "success")
    return redirect(url_for("portal.organisation") + "#users")


@bp.route("/organisation/users/<uuid:user_id>/deactivate", methods=["POST"])
@role_required("admin")
def deactivate_user(user_id: uuid.UUID) -> Response | tuple[str, int]:
    if not _checked():
        return _page({"users": EXPIRED}, 400)
    try:
        user = accounts.deactivate(db(), current_portal_actor(), user_id)
    except ValidationFailed as exc:
        return _refused(exc, "users")
    flash(f"{user.email} can no longer sign in, and has been signed out.", "success")
    return redirect(url_for("portal.organisation") + "#users")


@bp.route("/organisation/clients", methods=["POST"])
@role_required("admin")
def create_api_client() -> str | tuple[str, int]:
    if not _checked():
        return _page({"clients": EXPIRED}, 400)
    name = (request.form.get("name") or "").strip()
    if len(name) > 200:
        return _page({"client_name": "The name must be 200 characters or fewer"}, 400)
    scopes = request.form.getlist("scopes")
    if not scopes:
        return _page({"scopes": "Choose at least one thing the client may do"}, 400)
    try:
        new = clients.add_client(
            db(), current_portal_actor(), _organisation_id(), scopes=scopes, name=name
        )
    except ValidationFailed as exc:
        # What the organisation cannot hold is a matter of the choices.
        return _refused(exc, "scopes")
    return _secret_page("API client created", new.client.client_id, new.client_secret)


@bp.route("/organisation/clients/<client_id>/rotate", methods=["POST"])
@role_required("admin")
def rotate_api_client(client_id: str) -> str | tuple[str, int]:
    if not _checked():
        return _page({"clients": EXPIRED}, 400)
    new = clients.rotate_secret(db(), current_portal_actor(), client_id)
    return _secret_page("New secret made", new.client.client_id, new.client_secret)


@bp.route("/organisation/clients/<client_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_api_client(client_id: str) -> Response | tuple[str, int]:
    if not _checked():
        return _page({"clients": EXPIRED}, 400)
    clients.revoke_client(db(), current_portal_actor(), client_id)
    flash(f"Client {client_id} is revoked: its tokens no longer work.", "success")
    return redirect(url_for("portal.organisation") + "#clients")


def _secret_page(title: str, client_id: str, secret: str) -> str:
    return render_template(
        "portal/organisation_secret.html",
        title=title,
        items=[("Client ID", client_id), ("Client secret", secret)],
        back="#clients",
    )


@bp.route("/organisation/webhooks", methods=["POST"])
@role_required("admin")
def register_webhook() -> str | tuple[str, int]:
    if not _checked():
        return _page({"webhooks": EXPIRED}, 400)
    url = (request.form.get("url") or "").strip()
    if not url:
        return _page({"webhook_url": "Enter the address to send events to"}, 400)
    settings = hub_context().settings
    try:
        new = webhooks.register_endpoint(
            db(),
            current_portal_actor(),
            url=url,
            events=request.form.getlist("events"),
            hub_secret=hub_context().secret_key,
            allow_private=settings.webhook_allow_private,
        )
    except ValidationFailed as exc:
        said = exc.errors or {}
        if said:
            # Each problem beside the field it is about: the address, or the events chosen.
            fields = {"url": "webhook_url", "events": "webhook_events"}
            return _page(
                {
                    fields.get(name, "webhooks"): ". ".join(error_messages(messages))
                    for name, messages in said.items()
                },
                400,
            )
        return _refused(exc, "webhooks")
    return render_template(
        "portal/organisation_secret.html",
        title="Webhook registered",
        items=[("Address", new.endpoint.url), ("Signing secret", new.secret)],
        back="#webhooks",
    )


@bp.route("/organisation/webhooks/<uuid:endpoint_id>/test", methods=["POST"])
@role_required("admin")
def test_webhook(endpoint_id: uuid.UUID) -> Response | tuple[str, int]:
    if not _checked():
        return _page({"webhooks": EXPIRED}, 400)
    webhooks.send_test(db(), current_portal_actor(), endpoint_id)
    flash("A test event is on its way. Its delivery shows below within a minute or so.", "success")
    return redirect(url_for("portal.organisation") + "#webhooks")


@bp.route("/organisation/webhooks/<uuid:endpoint_id>/delete", methods=["GET", "POST"])
@role_required("admin")
def delete_webhook(endpoint_id: uuid.UUID) -> str | Response | tuple[str, int]:
    """Ask first, then stop sending to the address (the API's delete, audited)."""
    endpoint = webhooks.get_endpoint(db(), current_portal_actor(), endpoint_id)
    if request.method == "GET":
        return render_template("portal/webhook_delete.html", endpoint=endpoint)
    if not _checked():
        return _page({"webhooks": EXPIRED}, 400)
    url = endpoint.url
    webhooks.delete_endpoint(db(), current_portal_actor(), endpoint_id)
    flash(f"The hub no longer sends events to {url}.", "success")
    return redirect(url_for("portal.organisation") + "#webhooks")
