"""Transport and browser hardening, CSRF on every portal form, and nothing secret at rest.

Existing tests cover parts of this (cited in docs/security.md): tests/api/test_problems.py
(security headers), tests/api/test_portal_signin.py (cookie flags, CSRF on sign-in, the sign-in
rate limit), tests/api/test_oauth.py (token rate limit, hashed tokens and secrets).
"""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from hub.db import Base
from hub.identity import services as identity
from tests.factories import ACTOR

PASSWORD = "correct horse battery staple 42"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(client, email: str, password: str, **kwargs):
    page = client.get("/portal/sign-in", **kwargs)
    token = CSRF_INPUT.search(page.get_data(as_text=True))
    assert token
    return client.post(
        "/portal/sign-in",
        data={"email": email, "password": password, "csrf_token": token.group(1)},
        **kwargs,
    )


def session_cookie(response) -> list[str]:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("hub_session=")]
    return [part.strip() for part in cookie.split(";")]


@pytest.fixture
def user(db_session, make_org):
    org = make_org("healthwatch")
    made = identity.create_user(
        db_session,
        ACTOR,
        organisation_id=org.id,
        email=f"volunteer-{uuid.uuid4().hex[:8]}@example.org",
        password=PASSWORD,
        role="uploader",
    )
    db_session.commit()
    return made


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/me", "/portal/sign-in"])
def test_hsts_only_over_tls(client, path):
    assert "Strict-Transport-Security" not in client.get(path).headers
    over_tls = client.get(path, base_url="https://hub.example")
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_behind_a_trusted_proxy_forwarded_https_counts_as_tls(make_app, user):
    client = make_app(trust_proxy=True).test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hub.example"}
    assert "Strict-Transport-Security" in client.get("/healthz", headers=forwarded).headers
    answer = sign_in(
        client,
        user.email,
        PASSWORD,
        headers={**forwarded, "Referer": "https://hub.example/portal/sign-in"},
    )
    assert answer.status_code == 302
    flags = session_cookie(answer)
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/portal"} <= set(flags)


def test_without_trust_a_forwarded_header_is_ignored(client, user):
    forwarded = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" not in client.get("/healthz", headers=forwarded).headers
    answer = sign_in(client, user.email, PASSWORD, headers=forwarded)
    assert answer.status_code == 302
    assert "Secure" not in session_cookie(answer)


@pytest.mark.parametrize("path", ["/api/v1/me", "/portal/sign-in", "/api/v1/docs"])
def test_pages_and_answers_forbid_framing_and_inline_code(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_are_never_cached(client):
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"
    assert client.post("/oauth/token").headers["Cache-Control"] == "no-store"


def portal_forms(app) -> list[str]:
    """Every portal URL that takes a POST, with a made-up id where the rule has one."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/portal") or "POST" not in (rule.methods or ()):
            continue
        if "<path:" in rule.rule:
            continue  # the catch-all error page
        path = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), rule.rule)
        paths.append(re.sub(r"<[^>]+>", "x", path))
    return sorted(paths)


def test_every_portal_form_refuses_a_post_without_its_csrf_token(client, user):
    forms = portal_forms(client.application)
    assert "/portal/sign-in" in forms and "/portal/upload" in forms
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    for path in forms:
        refused = client.post(path, data={"email": user.email, "password": PASSWORD})
        assert refused.status_code == 400, path
        forged = client.post(path, data={"csrf_token": "forged." + "A" * 40})
        assert forged.status_code == 400, path


def test_no_secret_or_token_is_stored_in_any_table(client, db_session, make_party, get_token, user):
    """Client secrets and tokens as hashes, passwords as argon2, webhook secrets encrypted:
    read back every row of every table, none of them appears."""
    party = make_party("charity")
    token = get_token(party)
    hook = client.post(
        "/api/v1/webhooks",
        json={"url": "https://partner.example/hooks", "events": ["dataset.released"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert hook.status_code == 201
    webhook_secret = hook.get_json()["secret"]
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    revoked = get_token(party)
    client.post(
        "/oauth/revoke", data={"token": revoked}, auth=(party.client_id, party.client_secret)
    )

    dump = []
    for table in Base.metadata.sorted_tables:
        for row in db_session.execute(sa.select(table)).all():
            dump.append(repr(tuple(row)))
    everything = "\n".join(dump)
    assert len(dump) > 10
    for secret in (token, revoked, party.client_secret, webhook_secret, PASSWORD):
        assert secret not in everything
    hashes = db_session.execute(sa.text("SELECT password_hash FROM portal_users")).scalars()
    assert all(h.startswith("$argon2") for h in hashes)
