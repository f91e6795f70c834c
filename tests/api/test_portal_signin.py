"""Portal sign-in, sign-out, lock-out, CSRF, cookies, roles and error pages (Flask test client)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import urljoin

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.audit.models import AuditEvent
from hub.identity import accounts
from hub.identity import services as identity
from hub.identity.models import Organisation, PortalUser
from hub.portal.auth import role_required, safe_next
from tests.factories import ACTOR

PASSWORD = "a long enough passphrase"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]*govuk-frontend\.min\.css)"')


@pytest.fixture
def make_user(
    db_session: Session, make_org: Callable[..., Organisation]
) -> Callable[..., PortalUser]:
    def factory(role: str = "uploader", kind: str = "charity") -> PortalUser:
        org = make_org(kind)
        user = identity.create_user(
            db_session,
            ACTOR,
            organisation_id=org.id,
            email=f"volunteer-{uuid.uuid4().hex[:8]}@Example.org",
            password=PASSWORD,
            role=role,
        )
        db_session.commit()
        return user

    return factory


def csrf_token(client: FlaskClient, path: str = "/portal/sign-in", **kwargs: object) -> str:
    page = client.get(path, **kwargs)
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str, query: str = "", **kwargs: object):
    token = csrf_token(client)
    return client.post(
        "/portal/sign-in" + query,
        data={"email": email, "password": password, "csrf_token": token},
        **kwargs,
    )


def events(db_session: Session, action: str) -> list[AuditEvent]:
    return list(
        db_session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
    )


def reloaded(db_session: Session, user: PortalUser) -> PortalUser:
    fresh = db_session.scalar(
        sa.select(PortalUser)
        .where(PortalUser.id == user.id)
        .execution_options(populate_existing=True)
    )
    assert fresh is not None
    return fresh


def error_message(html: str) -> str:
    match = re.search(r'class="govuk-error-message">\s*(.*?)</p>', html, re.S)
    assert match, "no GOV.UK error message on the page"
    visible = re.sub(r'<span class="govuk-visually-hidden">.*?</span>', "", match.group(1))
    return re.sub(r"<[^>]+>|\s+", " ", visible).strip()


def test_sign_in_page_has_labelled_fields_and_a_csrf_token(client):
    html = client.get("/portal/sign-in").get_data(as_text=True)
    assert '<label class="govuk-label" for="email">' in html
    assert '<label class="govuk-label" for="password">' in html
    assert 'name="email"' in html and 'name="password"' in html
    assert CSRF_INPUT.search(html)
    assert "Exchange hub" in html and "govuk-phase-banner" in html
    assert 'href="#main-content"' in html and 'id="main-content"' in html


def test_sign_in_with_the_right_password_opens_the_home_page(client, make_user, db_session):
    user = make_user("uploader")
    response = sign_in(client, user.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal"
    home = client.get("/portal")
    html = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "What you can do" in html and "Upload a spreadsheet" in html
    assert "Audit log" not in html
    assert reloaded(db_session, user).last_signed_in_at is not None
    [event] = events(db_session, "user.signed_in")
    assert event.actor == f"user:{user.id}"
    assert event.organisation_id == user.organisation_id
    assert event.request_id


def test_home_lists_what_each_role_can_do(client, make_user):
    auditor = make_user("auditor", kind="auditor")
    sign_in(client, auditor.email, PASSWORD)
    html = client.get("/portal").get_data(as_text=True)
    assert "Audit log" in html
    assert "Upload a spreadsheet" not in html and "Safeguarding queue" not in html


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, make_user):
    user = make_user()
    response = sign_in(client, user.email, PASSWORD, "?next=/portal%3Fpage%3D2")
    assert response.headers["Location"] == "/portal?page=2"
    for target in ("//evil.example/portal", "https://evil.example/portal", "/api/v1/me"):
        assert safe_next(target) is None
    assert safe_next("/portal/submissions/1") == "/portal/submissions/1"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user, db_session):
    user = make_user()
    wrong = sign_in(client, user.email, "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert error_message(wrong.get_data(as_text=True)) == error_message(
        unknown.get_data(as_text=True)
    )
    assert "<title>Error: Sign in" in wrong.get_data(as_text=True)
    assert client.get("/portal").status_code == 302
    failed = events(db_session, "user.sign_in_failed")
    assert [e.details["reason"] for e in failed] == ["wrong-password", "unknown-account"]
    assert failed[0].object_id == str(user.id)
    assert all(e.outcome == "failure" for e in failed)
    # The unknown address itself is kept nowhere in the audit log.
    assert "nobody" not in repr([(e.object_id, e.actor, e.details) for e in failed])


def test_missing_fields_are_listed_in_an_error_summary_linking_to_them(client):
    token = csrf_token(client)
    response = client.post("/portal/sign-in", data={"csrf_token": token})
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and "There is a problem" in html
    assert '<a href="#email">Enter your email address</a>' in html
    assert '<a href="#password">Enter your password</a>' in html


def test_a_post_without_the_csrf_token_is_refused(client, make_user, db_session):
    user = make_user()
    client.get("/portal/sign-in")
    response = client.post("/portal/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)
    forged = client.post(
        "/portal/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"},
    )
    assert forged.status_code == 400
    assert client.get("/portal").status_code == 302
    assert not events(db_session, "user.signed_in")
    assert not events(db_session, "user.sign_in_failed")


def test_session_cookie_flags_and_rotation(client, make_user):
    user = make_user()
    visitor_token = csrf_token(client)
    before = client.get_cookie("hub_session", path="/portal")
    assert before is not None
    response = client.post(
        "/portal/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": visitor_token},
    )
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("hub_session=")]
    flags = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in flags and "SameSite=Lax" in flags and "Path=/portal" in flags
    assert "Secure" not in flags
    after = client.get_cookie("hub_session", path="/portal")
    assert after is not None and after.value != before.value
    # Nothing of the visitor's session survives signing in, not even its CSRF token.
    stale = client.post("/portal/sign-out", data={"csrf_token": visitor_token})
    assert stale.status_code == 400
    assert client.get("/portal").status_code == 200


def test_over_https_the_cookie_is_secure_and_same_site_posts_pass(client, make_user):
    user = make_user()
    https = {"base_url": "https://hub.example"}
    token = csrf_token(client, **https)
    response = client.post(
        "/portal/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://hub.example/portal/sign-in"},
        **https,
    )
    assert response.status_code == 302
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("hub_session=")]
    assert "Secure" in [part.strip() for part in cookie.split(";")]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Strict-Transport-Security"]


def test_sign_out_needs_a_post_with_csrf_and_ends_the_session(client, make_user, db_session):
    user = make_user()
    sign_in(client, user.email, PASSWORD)
    confirm = client.get("/portal/sign-out")
    assert confirm.status_code == 200
    assert client.post("/portal/sign-out").status_code == 400
    assert client.get("/portal").status_code == 200
    response = client.post("/portal/sign-out", data={"csrf_token": csrf_token(client, "/portal")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/sign-in"
    assert "You have signed out" in client.get("/portal/sign-in").get_data(as_text=True)
    assert client.get("/portal").status_code == 302
    [event] = events(db_session, "user.signed_out")
    assert event.actor == f"user:{user.id}" and event.object_id == str(user.id)


def test_a_changed_password_ends_existing_sessions(client, make_user, db_session):
    user = make_user()
    sign_in(client, user.email, PASSWORD)
    assert client.get("/portal").status_code == 200
    accounts.set_password(db_session, ACTOR, reloaded(db_session, user), "a brand new passphrase")
    db_session.commit()
    response = client.get("/portal")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/sign-in")


def test_role_required_redirects_visitors_and_refuses_other_roles(
    make_app: Callable[..., Flask], make_user
):
    app = make_app()
    calls: list[str] = []

    def auditors_only() -> str:
        calls.append("auditor page")
        return "audit page"

    # An endpoint in the portal's namespace gets the portal's hooks and error pages.
    app.add_url_rule(
        "/portal/probe",
        endpoint="portal.probe",
        view_func=role_required("auditor")(auditors_only),
    )
    client = app.test_client()
    anonymous = client.get("/portal/probe?x=1")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == "/portal/sign-in?next=/portal/probe?x%3D1"

    uploader = make_user("uploader")
    sign_in(client, uploader.email, PASSWORD)
    refused = client.get("/portal/probe")
    assert refused.status_code == 403
    assert "You cannot see this page" in refused.get_data(as_text=True)
    assert calls == []

    auditor_client = app.test_client()
    auditor = make_user("auditor", kind="auditor")
    sign_in(auditor_client, auditor.email, PASSWORD)
    assert auditor_client.get("/portal/probe").get_data(as_text=True) == "audit page"
    with pytest.raises(ValueError, match="unknown portal roles"):
        role_required("superuser")


def test_the_portal_actor_is_the_signed_in_user(make_app, make_user):
    app = make_app()
    seen = []

    def whoami() -> str:
        from hub.portal.auth import current_portal_actor

        seen.append(current_portal_actor())
        return "ok"

    app.add_url_rule("/portal/whoami", endpoint="portal.whoami", view_func=role_required()(whoami))
    client = app.test_client()
    user = make_user("admin", kind="healthwatch")
    sign_in(client, user.email, PASSWORD)
    client.get("/portal/whoami")
    [actor] = seen
    assert (actor.kind, actor.id, actor.role) == ("user", str(user.id), "admin")
    assert actor.organisation_id == user.organisation_id
    assert actor.organisation_kind == "healthwatch"
    assert actor.has("experiences:write") and not actor.has("regulator:read")


def test_sign_in_attempts_are_rate_limited_with_a_friendly_page(make_app, make_user):
    client = make_app(sign_in_rate_limit="3 per minute").test_client()
    user = make_user()
    for _ in range(3):
        assert sign_in(client, user.email, "wrong").status_code == 200
    limited = sign_in(client, user.email, PASSWORD)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"]
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert limited.mimetype == "text/html"


def test_the_api_needs_no_csrf_token(client, make_party):
    client.get("/portal/sign-in")
    party = make_party("charity")
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(party.client_id, party.client_secret),
    )
    assert response.status_code == 200
    assert response.get_json()["access_token"]
    assert "hub_session" not in response.headers.get("Set-Cookie", "")


def test_error_pages_are_portal_pages_and_the_api_keeps_problems(client):
    page = client.get("/portal/no-such-page")
    assert page.status_code == 404
    assert "Page not found" in page.get_data(as_text=True)
    assert page.mimetype == "text/html"
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"


def test_pages_keep_to_the_content_security_policy(client):
    response = client.get("/portal/sign-in")
    html = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    # Inline scripts, event handlers and style attributes would all be blocked by the policy.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)


def test_the_stylesheet_the_layout_links_to_is_served_with_its_fonts(client):
    html = client.get("/portal/sign-in").get_data(as_text=True)
    match = STYLESHEET.search(html)
    assert match, "the layout links no GOV.UK Frontend stylesheet"
    # Static files are streamed: each response is closed so its file is.
    with client.get(match.group(1)) as css:
        assert css.status_code == 200, "run `make setup` to copy the GOV.UK Frontend assets"
        assert css.mimetype == "text/css"
        text = css.get_data(as_text=True)
    fonts = re.findall(r"url\(([^)]+\.woff2)\)", text)
    assert fonts and not any(font.startswith("/") for font in fonts)
    with client.get(urljoin(match.group(1), fonts[0])) as font:
        assert font.status_code == 200
    with client.get("/portal/static/vendor/govuk/govuk-frontend.min.js") as script:
        assert script.status_code == 200 and "javascript" in script.mimetype
