"""``/oauth/token``, ``/oauth/revoke`` and ``/oauth/introspect`` through authlib.

These endpoints keep the RFC 6749 error shape (``{"error": ...}``), as OAuth clients expect.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Blueprint, Flask, Response, current_app, g, request

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import BAD_TEXT
from hub.identity import services as identity
from hub.identity.models import OAuthClient, OAuthToken, Organisation
from hub.web import client_ip, db, hub_context

bp = Blueprint("oauth", __name__, url_prefix="/oauth")


class ClientAdapter(ClientMixin):
    """authlib's view of a stored client. Secrets are checked against their argon2 hash."""

    def __init__(self, client: OAuthClient) -> None:
        self.client = client
        self.client_id = client.client_id

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.client.scopes
        if not scope:
            return " ".join(sorted(allowed))
        requested = set(scope.split())
        if not requested <= allowed:
            raise InvalidScopeError(
                description="Requested scopes must be a subset of the client's scopes: "
                + " ".join(sorted(allowed))
            )
        return " ".join(sorted(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return identity.check_client_secret(self.client, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class TokenAdapter(TokenMixin):
    def __init__(self, token: OAuthToken) -> None:
        self.token = token

    def check_client(self, client: ClientAdapter) -> bool:
        return self.token.client_pk == client.client.id

    def get_scope(self) -> str:
        return self.token.scope

    def get_expires_in(self) -> int:
        return int((self.token.expires_at - self.token.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return utcnow() >= self.token.expires_at

    def is_revoked(self) -> bool:
        # A disabled client's or a suspended organisation's tokens count as revoked.
        return self.token.revoked_at is not None or not identity.token_usable(db(), self.token)


def _client_actor(client: OAuthClient) -> Actor:
    org = db().get(Organisation, client.organisation_id)
    return Actor(
        kind="client",
        id=client.client_id,
        organisation_id=client.organisation_id,
        organisation_kind=org.kind if org else None,
        scopes=client.scopes,
        request_id=g.get("request_id"),
        ip=client_ip(),
    )


def _query_token(token_string: str, _hint: str | None) -> TokenAdapter | None:
    token = identity.find_token(db(), token_string)
    return TokenAdapter(token) if token else None


AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class Revocation(RevocationEndpoint):
    SUPPORTED_TOKEN_TYPES = ("access_token",)
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _query_token(token_string, token_type_hint)

    def revoke_token(self, token: TokenAdapter, request: Any) -> None:
        identity.revoke_token(db(), _client_actor(request.client.client), token.token)


class Introspection(IntrospectionEndpoint):
    SUPPORTED_TOKEN_TYPES = ("access_token",)
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _query_token(token_string, token_type_hint)

    def check_permission(self, token: TokenAdapter, client: ClientAdapter, request: Any) -> bool:
        # A client may introspect its own tokens; an auditor's client any token.
        if token.check_client(client):
            return True
        org = db().get(Organisation, client.client.organisation_id)
        return org is not None and org.kind == "auditor"

    def introspect_token(self, token: TokenAdapter) -> dict[str, Any]:
        t = token.token
        client = db().get(OAuthClient, t.client_pk)
        return {
            "active": True,
            "client_id": client.client_id if client else None,
            "scope": t.scope,
            "token_type": "Bearer",
            "exp": int(t.expires_at.timestamp()),
            "iat": int(t.issued_at.timestamp()),
            "sub": str(t.organisation_id),
        }


def _query_client(client_id: str) -> ClientAdapter | None:
    client = identity.find_client(db(), client_id)
    if client is None:
        # authlib checks no secret for an unknown client: spend the same work as a wrong secret
        # for a known one, so the time of the answer does not tell which ids exist.
        identity.check_client_secret(None, "")
        return None
    return ClientAdapter(client)


def _save_token(token: dict[str, Any], oauth_request: Any) -> None:
    client: OAuthClient = oauth_request.client.client
    identity.issue_token(
        db(),
        _client_actor(client),
        client,
        access_token=token["access_token"],
        scope=token.get("scope", ""),
        ttl_s=int(token.get("expires_in") or 0),
    )


def _server() -> AuthorizationServer:
    srv: AuthorizationServer = current_app.extensions["hub_oauth"]
    return srv


def _attempted_client_id() -> str | None:
    """The client id a failed request named, as far as it can be kept (NUL bytes and lone
    surrogates replaced: no database stores them)."""
    named = _named_client_id()
    return BAD_TEXT.sub("\ufffd", named) if named else None


def _named_client_id() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0][:64] or None
    value = request.form.get("client_id")
    return value[:64] if value else None


def _audit_failure(status: int) -> None:
    """Record a failed client authentication; whatever else the request did is void."""
    if status != 401:
        return
    session = db()
    session.rollback()
    attempted = _attempted_client_id()
    actor = Actor(
        kind="client",
        id=attempted or "anonymous",
        request_id=g.get("request_id"),
        ip=client_ip(),
    )
    client = identity.find_client_any_state(session, attempted) if attempted else None
    record(
        session,
        actor,
        "auth.failed",
        object_type="client",
        object_id=actor.id if client else None,
        outcome="failure",
        organisation_id=client.organisation_id if client else None,
        details={"endpoint": request.path, "reason": "invalid_client"},
    )


def _respond(name: str | None = None) -> Response:
    """authlib's answer; the request commits what it did (a token issued or revoked), or for a
    refusal only the audit of a failed authentication."""
    if name is None:
        response: Response = _server().create_token_response()
    else:
        response = _server().create_endpoint_response(name)
    if response.status_code >= 400:
        _audit_failure(response.status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.post("/token")
def token() -> Response:
    """Issue an access token (client_credentials)."""
    return _respond()


@bp.post("/revoke")
def revoke() -> Response:
    """Revoke an access token (RFC 7009)."""
    return _respond(Revocation.ENDPOINT_NAME)


@bp.post("/introspect")
def introspect() -> Response:
    """Describe an access token (RFC 7662)."""
    return _respond(Introspection.ENDPOINT_NAME)


def init_oauth(app: Flask) -> None:
    ttl = hub_context(app).settings.token_ttl_s
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"client_credentials": ttl}
    app.config["OAUTH2_SCOPES_SUPPORTED"] = None
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(ClientCredentials)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    app.extensions["hub_oauth"] = server
    app.register_blueprint(bp)
