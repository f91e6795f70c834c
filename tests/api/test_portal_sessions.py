"""Portal sessions live on the server: sign-out ends them, copies included; limits; changes."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import sqlalchemy as sa

from hub.clock import utcnow
from hub.identity import accounts, sessions
from hub.identity.models import Organisation, PortalSession
from tests.api.test_portal_signin import (
    PASSWORD,
    csrf_token,
    error_message,
    events,
    sign_in,
)
from tests.factories import ACTOR


def copy_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("hub_session", path="/portal")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("hub_session", cookie.value, path="/portal")
    return thief


def signed_in_client(app, user):
    client = app.test_client()
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    return client


def test_sign_out_ends_the_session_so_a_copied_cookie_stops_working(app, make_user):
    user = make_user()
    client = signed_in_client(app, user)
    thief = copy_of(app, client)
    assert thief.get("/portal").status_code == 200
    client.post("/portal/sign-out", data={"csrf_token": csrf_token(client, "/portal")})
    refused = thief.get("/portal")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/portal/sign-in")


def test_sign_out_everywhere_ends_every_session_of_the_user_only(app, make_user, db_session):
    user, other = make_user(), make_user()
    laptop, phone = signed_in_client(app, user), signed_in_client(app, user)
    someone_else = signed_in_client(app, other)
    page = laptop.get("/portal/account").get_data(as_text=True)
    assert "You are signed in in 2 places" in page
    response = laptop.post(
        "/portal/account/sign-out-everywhere",
        data={"csrf_token": csrf_token(laptop, "/portal/account")},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/portal/sign-in"
    assert "You have signed out everywhere (2 sessions ended)" in laptop.get(
        "/portal/sign-in"
    ).get_data(as_text=True)
    assert laptop.get("/portal").status_code == 302
    assert phone.get("/portal").status_code == 302
    assert someone_else.get("/portal").status_code == 200
    [event] = events(db_session, "user.signed_out_everywhere")
    assert event.object_id == str(user.id) and event.details == {"sessions_ended": 2}


def test_a_session_ends_after_its_idle_limit(app, make_user, monkeypatch):
    user = make_user()
    client = signed_in_client(app, user)
    later = utcnow() + timedelta(minutes=121)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    assert client.get("/portal").status_code == 302


def test_a_session_in_constant_use_still_ends_at_its_absolute_limit(
    app, make_user, monkeypatch, db_session
):
    user = make_user()
    client = signed_in_client(app, user)
    start = utcnow()
    # Used every 90 minutes (inside the 2-hour idle limit) for 11 and a half hours: still valid.
    for step in range(1, 8):
        moment = start + timedelta(minutes=90 * step)
        monkeypatch.setattr(sessions, "utcnow", lambda moment=moment: moment)
        assert client.get("/portal").status_code == 200, f"use {step}"
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(hours=12, minutes=1))
    assert client.get("/portal").status_code == 302
    [row] = db_session.scalars(sa.select(PortalSession).where(PortalSession.user_id == user.id))
    assert row.ended_reason == "expired"


def test_changing_the_password_ends_every_session(app, make_user, db_session):
    user = make_user()
    laptop, phone = signed_in_client(app, user), signed_in_client(app, user)
    new = "another long passphrase"
    response = laptop.post(
        "/portal/account/password",
        data={
            "current_password": PASSWORD,
            "password": new,
            "confirm": new,
            "csrf_token": csrf_token(laptop, "/portal/account"),
        },
    )
    assert response.status_code == 302
    assert laptop.get("/portal").status_code == 302
    assert phone.get("/portal").status_code == 302
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 200
    assert sign_in(app.test_client(), user.email, new).status_code == 302
    [event] = events(db_session, "user.password_changed")
    assert event.actor == f"user:{user.id}" and event.details == {"sessions_ended": 2}


def test_a_wrong_current_password_changes_nothing(app, make_user):
    user = make_user()
    client = signed_in_client(app, user)
    response = client.post(
        "/portal/account/password",
        data={
            "current_password": "not my password",
            "password": "another long passphrase",
            "confirm": "another long passphrase",
            "csrf_token": csrf_token(client, "/portal/account"),
        },
    )
    assert response.status_code == 400
    assert error_message(response.get_data(as_text=True)) == "Your current password is not right"
    assert client.get("/portal").status_code == 200


def test_a_role_change_ends_every_session(app, make_user, db_session):
    user = make_user("uploader")
    client = signed_in_client(app, user)
    accounts.change_role(db_session, ACTOR, user.id, "admin")
    db_session.commit()
    assert client.get("/portal").status_code == 302
    [event] = events(db_session, "user.role_changed")
    assert event.details == {"from": "uploader", "to": "admin", "sessions_ended": 1}


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(app, make_user, db_session):
    user = make_user()
    client = signed_in_client(app, user)
    accounts.deactivate(db_session, ACTOR, user.id)
    db_session.commit()
    assert client.get("/portal").status_code == 302
    refused = sign_in(app.test_client(), user.email, PASSWORD)
    unknown = sign_in(app.test_client(), "nobody@example.org", PASSWORD)
    assert refused.status_code == 200
    assert error_message(refused.get_data(as_text=True)) == error_message(
        unknown.get_data(as_text=True)
    )
    [event] = events(db_session, "user.deactivated")
    assert event.details == {"sessions_ended": 1}


def test_only_an_admin_of_the_users_organisation_manages_it(make_user, db_session):
    import pytest

    from hub.errors import NotFound
    from hub.identity.signin import user_actor

    user, outsider = make_user("uploader"), make_user("admin")
    colleague = make_user("uploader")
    with pytest.raises(NotFound):
        accounts.deactivate(db_session, user_actor(outsider, "charity"), user.id)
    with pytest.raises(NotFound):
        accounts.change_role(db_session, user_actor(colleague, "charity"), user.id, "admin")


def test_the_account_page_has_the_password_two_factor_and_sign_out_everywhere(app, make_user):
    client = signed_in_client(app, make_user("auditor", kind="auditor"))
    page = client.get("/portal/account")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'action="/portal/account/password"' in html
    assert 'href="/portal/account/two-factor"' in html
    assert 'action="/portal/account/sign-out-everywhere"' in html
    assert 'href="/portal/account"' in client.get("/portal").get_data(as_text=True)


def test_suspending_an_organisation_ends_its_users_sessions_and_stops_their_sign_in(
    app, make_user, db_session
):
    from hub.identity.services import set_suspended
    from hub.portal.two_factor import SUSPENDED
    from hub.portal.views import WRONG_DETAILS

    user, other = make_user(), make_user()
    laptop, phone = signed_in_client(app, user), signed_in_client(app, user)
    someone_else = signed_in_client(app, other)
    set_suspended(db_session, ACTOR, user.organisation_id, True)
    db_session.commit()
    assert laptop.get("/portal").status_code == 302
    assert phone.get("/portal").status_code == 302
    assert someone_else.get("/portal").status_code == 200
    [suspended] = events(db_session, "organisation.suspended")
    assert suspended.details == {"sessions_ended": 2}

    browser = app.test_client()
    # A wrong password gets the same answer as any other failure: nothing is told.
    wrong = sign_in(browser, user.email, "not the passphrase")
    assert wrong.status_code == 200 and error_message(wrong.get_data(as_text=True)) == (
        WRONG_DETAILS
    )
    # Only the right password learns why.
    right = sign_in(browser, user.email, PASSWORD)
    assert right.status_code == 200
    assert html.unescape(error_message(right.get_data(as_text=True))) == SUSPENDED
    assert browser.get("/portal").status_code == 302
    reasons = [e.details["reason"] for e in events(db_session, "user.sign_in_failed")]
    assert reasons == ["wrong-password", "organisation-suspended"]

    set_suspended(db_session, ACTOR, user.organisation_id, False)
    db_session.commit()
    assert sign_in(browser, user.email, PASSWORD).status_code == 302
    assert browser.get("/portal").status_code == 200


def test_a_session_of_a_suspended_organisation_stops_on_its_next_request(
    app, make_user, db_session
):
    user = make_user()
    client = signed_in_client(app, user)
    # However the suspension was written, the session is checked against it on every request.
    db_session.execute(
        sa.update(Organisation)
        .where(Organisation.id == user.organisation_id)
        .values(suspended_at=utcnow())
    )
    db_session.commit()
    assert client.get("/portal").status_code == 302
    ended = db_session.scalar(sa.select(PortalSession).where(PortalSession.user_id == user.id))
    assert ended.ended_reason == "organisation-suspended"


def test_an_empty_password_change_lists_its_mistakes_in_the_order_the_page_asks(app, make_user):
    client = signed_in_client(app, make_user())

    response = client.post(
        "/portal/account/password", data={"csrf_token": csrf_token(client, "/portal/account")}
    )

    summary = response.get_data(as_text=True).split("govuk-error-summary__list")[1]
    links = re.findall(r'<a href="([^"]+)">', summary.split("</ul>")[0])
    assert links == ["#current_password", "#password", "#confirm"]
