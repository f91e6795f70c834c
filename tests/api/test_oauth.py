"""OAuth2 client credentials, revocation, introspection and the 401/403 contract."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.identity.models import OAuthToken
from hub.identity.passwords import token_digest


def test_token_with_basic_auth_then_me(client, make_party):
    party = make_party("charity")
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(party.client_id, party.client_secret),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == set(party.scopes)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["organisation_name"] == party.org.name
    assert me.get_json()["organisation_kind"] == "charity"
    assert me.get_json()["agreement"]["condition_areas"] == ["mental-health"]


def test_token_with_client_secret_post_and_narrowed_scope(client, make_party):
    party = make_party("charity")
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": party.client_id,
            "client_secret": party.client_secret,
            "scope": "experiences:read",
        },
    )
    assert response.status_code == 200
    assert response.get_json()["scope"] == "experiences:read"


def test_scope_beyond_the_clients_is_invalid_scope(client, make_party):
    party = make_party("charity")
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "experiences:read audit:read"},
        auth=(party.client_id, party.client_secret),
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_scope"


def test_wrong_secret_is_invalid_client_and_audited(client, make_party, db_session):
    party = make_party("charity")
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(party.client_id, "wrong-secret"),
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    failures = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "auth.failed")
    ).all()
    assert [f.organisation_id for f in failures] == [party.id]
    assert "wrong-secret" not in str(failures[0].details)


def test_tokens_and_secrets_are_stored_only_as_hashes(client, make_party, db_session, get_token):
    party = make_party("charity")
    token = get_token(party)
    stored = db_session.scalars(sa.select(OAuthToken)).all()
    assert [t.token_hash for t in stored] == [token_digest(token)]
    dump = str(db_session.execute(sa.text("SELECT * FROM oauth_tokens")).all())
    dump += str(db_session.execute(sa.text("SELECT * FROM oauth_clients")).all())
    assert token not in dump
    assert party.client_secret not in dump


def test_missing_token_is_401_problem_with_www_authenticate(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401
    assert body["code"] == "unauthorised"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_garbage_token_is_401_invalid_token(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.get_json()["code"] == "invalid-token"


def test_revoked_token_stops_working(client, make_party, get_token):
    party = make_party("charity")
    token = get_token(party)
    response = client.post(
        "/oauth/revoke", data={"token": token}, auth=(party.client_id, party.client_secret)
    )
    assert response.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_introspection_own_token_and_others(client, make_party, get_token):
    a = make_party("charity")
    b = make_party("charity")
    auditor = make_party("auditor")
    token = get_token(a)
    own = client.post(
        "/oauth/introspect", data={"token": token}, auth=(a.client_id, a.client_secret)
    )
    assert own.get_json()["active"] is True
    assert own.get_json()["client_id"] == a.client_id
    other = client.post(
        "/oauth/introspect", data={"token": token}, auth=(b.client_id, b.client_secret)
    )
    assert other.get_json() == {"active": False}
    audit = client.post(
        "/oauth/introspect", data={"token": token}, auth=(auditor.client_id, auditor.client_secret)
    )
    assert audit.get_json()["active"] is True


def test_expired_token_is_rejected(make_app, make_party):
    app = make_app(token_ttl_s=0)
    client = app.test_client()
    party = make_party("charity")
    basic = base64.b64encode(f"{party.client_id}:{party.client_secret}".encode()).decode()
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    ).get_json()["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_endpoint_is_rate_limited_with_a_problem(make_app, make_party):
    app = make_app(token_rate_limit="2 per minute")
    client = app.test_client()
    party = make_party("charity")
    statuses = [
        client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(party.client_id, party.client_secret),
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    last = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(party.client_id, party.client_secret),
    )
    assert last.content_type == "application/problem+json"
    assert last.get_json()["code"] == "rate-limited"
