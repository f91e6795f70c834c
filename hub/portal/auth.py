"""Who is signed in to the portal, and which pages their role opens.

The signed session cookie holds a random session token (besides the CSRF token and flashed
messages); the session it names is kept on the server (``hub.identity.sessions``) and checked,
with its user, on every request. Signing out ends it there, so a copied cookie stops working.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from hub.actor import Actor
from hub.identity import sessions, signin, two_factor
from hub.identity.models import PORTAL_ROLES, PortalUser
from hub.portal.blueprint import bp, csrf
from hub.portal.pages import role_opens
from hub.web import client_ip, db, hub_context

F = TypeVar("F", bound=Callable[..., Any])

_TOKEN_KEY = "sid"  # noqa: S105 - the name of a session field, not a secret


@dataclass(frozen=True)
class SignedInUser:
    """What pages need to know about the signed-in user; plain values, safe in any template."""

    id: uuid.UUID
    email: str
    role: str
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_kind: str
    has_two_factor: bool = False
    # The role must sign in with two factors and has not set them up yet: until it does, every
    # page but setting them up sends it there.
    must_set_up_two_factor: bool = False

    @property
    def is_regulator(self) -> bool:
        return self.organisation_kind == "regulator"


def current_user() -> SignedInUser | None:
    """The signed-in user of this request, or None."""
    user: SignedInUser | None = g.get("portal_user")
    return user


def portal_actor(user: SignedInUser) -> Actor:
    """The actor a signed-in user acts as when a portal view calls a service."""
    return Actor(
        kind="user",
        id=str(user.id),
        organisation_id=user.organisation_id,
        organisation_kind=user.organisation_kind,
        scopes=signin.scopes_for(user.role, user.organisation_kind),
        role=user.role,
        request_id=g.get("request_id"),
        ip=client_ip(),
    )


def current_portal_actor() -> Actor:
    """The signed-in user's actor; only call it behind :func:`role_required`."""
    user = current_user()
    if user is None:
        abort(401)
    return portal_actor(user)


def two_factor_required(organisation_kind: str | None) -> bool:
    return two_factor.required_for(
        organisation_kind, hub_context().settings.two_factor_required_kinds
    )


def _snapshot(user: PortalUser) -> SignedInUser:
    return SignedInUser(
        id=user.id,
        email=user.email,
        role=user.role,
        organisation_id=user.organisation_id,
        organisation_name=user.organisation.name,
        organisation_kind=user.organisation.kind,
        has_two_factor=user.has_two_factor,
        must_set_up_two_factor=(
            not user.has_two_factor and two_factor_required(user.organisation.kind)
        ),
    )


def session_policy() -> sessions.SessionPolicy:
    settings = hub_context().settings
    return sessions.SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )


def start_session(user: PortalUser) -> None:
    """Begin a fresh session for ``user``; whatever the visitor's session held is dropped."""
    started = sessions.start(db(), user, policy=session_policy())
    session.clear()
    # Flask-WTF keeps this request's CSRF token in ``g``: forget it with the old session, so a
    # page rendered after this carries a token of the new one.
    g.pop("csrf_token", None)
    session[_TOKEN_KEY] = started.token
    session.permanent = True
    g.portal_session_id = started.session_id


def current_session_id() -> uuid.UUID | None:
    """The server-side id of this request's session, if one is signed in."""
    found: uuid.UUID | None = g.get("portal_session_id")
    return found


def restart_session(user_id: uuid.UUID) -> None:
    """A fresh session for this browser after its old one was ended with all the others (the
    user just proved both factors)."""
    start_session(accounts_user(user_id))


def accounts_user(user_id: uuid.UUID) -> PortalUser:
    user = db().get(PortalUser, user_id)
    if user is None:
        abort(404)
    return user


def end_session() -> None:
    """Forget the session in this browser (the caller ends it on the server)."""
    session.clear()
    g.portal_session_id = None


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a portal path on this site, else None: no redirects off the portal."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not (parts.path == "/portal" or target.startswith("/portal/"))
    ):
        return None
    return target


def role_required(
    *roles: str, enrolling: bool = False, kinds: tuple[str, ...] | None = None
) -> Callable[[F], F]:
    """Open a portal view to signed-in users with one of ``roles`` (no roles: any signed-in user).

    An anonymous visitor is sent to sign in and brought back; a signed-in user whose role is not
    listed, or whose organisation is not of a kind that role belongs to (a regulator's ``admin``
    on a partner page), gets the 403 page. A user who must set up two-factor sign-in and has not
    is sent to do so, except on the pages that do it (``enrolling``). ``kinds`` opens the view
    to those roles in organisations of these kinds instead (the regulator's ``admin``).
    """
    unknown = set(roles) - set(PORTAL_ROLES)
    if unknown:
        raise ValueError(f"unknown portal roles: {sorted(unknown)}")

    def decorator(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                here = request.full_path if request.query_string else request.path
                return redirect(url_for("portal.sign_in", next=here))
            if user.must_set_up_two_factor and not enrolling:
                return redirect(url_for("portal.two_factor"))
            if kinds is not None:
                if user.role not in roles or user.organisation_kind not in kinds:
                    abort(403)
            elif roles and (
                user.role not in roles or not role_opens(user.role, user.organisation_kind)
            ):
                abort(403)
            return fn(*args, **kwargs)

        wrapper.portal_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


@bp.before_request
def load_user() -> None:
    """Read the signed-in user (if any) from the session into ``g.portal_user``."""
    g.portal_user = None
    if request.endpoint == "portal.static":
        return
    token = session.get(_TOKEN_KEY)
    if token is None:
        return
    found = sessions.resolve(db(), str(token), policy=session_policy())
    if found is None:
        end_session()
        return
    row, user = found
    g.portal_session_id = row.id
    g.portal_user = _snapshot(user)
    g.actor = portal_actor(g.portal_user)


@bp.before_request
def _check_csrf() -> None:
    csrf.protect()


@bp.after_request
def _page_headers(response: Response) -> Response:
    if request.endpoint != "portal.static":
        # Pages show an organisation's own data: never keep them in a shared cache or history.
        response.headers.setdefault("Cache-Control", "no-store")
    # Flask-WTF checks the Referer on HTTPS posts, so send it to our own pages only.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def limit_sign_in(app: Flask, limit: str) -> None:
    """Rate-limit sign-in and password-reset posts per address (``HUB_SIGN_IN_RATE_LIMIT``)."""
    limiter = app.extensions["hub_limiter"]
    # Asking for a reset link, and using one, are limited the same way.
    for endpoint in ("portal.sign_in", "portal.password_reset", "portal.reset_password"):
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(limit, methods=["POST"])(view)
