"""Two-factor sign-in: set up with a QR code or a typed key, codes from an app (pyotp), recovery
codes, required for regulator and auditor staff, every change ending every session."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from hub.clock import utcnow
from hub.identity import two_factor
from hub.identity.models import PortalUser
from tests.api.test_portal_signin import PASSWORD, csrf_token, error_message, events, sign_in

KEY = re.compile(r'<code class="hub-key">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


@pytest.fixture
def app(make_app):
    # The hub's default: regulator and auditor staff must sign in with two factors.
    return make_app(two_factor_required_kinds="regulator,auditor")


def signed_in(app, user):
    client = app.test_client()
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    return client


def set_up(client) -> tuple[pyotp.TOTP, list[str]]:
    """Set up two-factor sign-in from the page, typing the key as a person would."""
    page = client.get("/portal/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and 'class="hub-qr' in page
    totp = pyotp.TOTP(KEY.search(page)[1].replace(" ", ""))
    done = client.post(
        "/portal/account/two-factor",
        data={"code": totp.now(), "csrf_token": csrf_token(client, "/portal/account/two-factor")},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = CODES.findall(done.get_data(as_text=True))
    assert len(codes) == two_factor.RECOVERY_CODES
    return totp, codes


def enter_code(client, code, follow="/portal/sign-in/code"):
    return client.post(
        follow, data={"code": code, "csrf_token": csrf_token(client, "/portal/sign-in/code")}
    )


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step: accepted (one step either side), and unused."""
    return totp.at(utcnow() + timedelta(seconds=30))


def test_any_user_sets_it_up_and_then_signs_in_with_a_code(app, make_user, db_session):
    user = make_user("uploader")
    client = signed_in(app, user)
    other = signed_in(app, user)
    totp, _codes = set_up(client)
    # Turning it on ended every other session; this browser has a fresh one.
    assert other.get("/portal").status_code == 302
    assert client.get("/portal").status_code == 200
    [on] = events(db_session, "user.two_factor_enabled")
    assert on.details == {"recovery_codes": 10, "sessions_ended": 2}

    browser = app.test_client()
    step = sign_in(browser, user.email, PASSWORD)
    assert step.status_code == 302 and step.headers["Location"].startswith("/portal/sign-in/code")
    # The password alone opens nothing.
    assert browser.get("/portal").status_code == 302
    assert enter_code(browser, next_code(totp)).status_code == 302
    assert browser.get("/portal").status_code == 200
    signed = events(db_session, "user.signed_in")[-1]
    assert signed.details == {"second_factor": "totp"}


def test_a_code_works_only_once(app, make_user):
    user = make_user()
    totp, _ = set_up(signed_in(app, user))
    code = next_code(totp)
    first = app.test_client()
    sign_in(first, user.email, PASSWORD)
    assert enter_code(first, code).status_code == 302
    second = app.test_client()
    sign_in(second, user.email, PASSWORD)
    refused = enter_code(second, code)
    assert refused.status_code == 400
    assert error_message(refused.get_data(as_text=True)) == two_factor.WRONG_CODE


def test_a_recovery_code_stands_in_for_the_app_once(app, make_user, db_session):
    user = make_user()
    _, codes = set_up(signed_in(app, user))
    browser = app.test_client()
    sign_in(browser, user.email, PASSWORD)
    assert enter_code(browser, codes[0].upper().replace("-", " ")).status_code == 302
    again = app.test_client()
    sign_in(again, user.email, PASSWORD)
    assert enter_code(again, codes[0]).status_code == 400
    assert events(db_session, "user.signed_in")[-1].details == {"second_factor": "recovery-code"}
    # Stored only as digests.
    stored = db_session.scalar(sa.select(PortalUser).where(PortalUser.id == user.id))
    assert stored.totp_secret_encrypted and "hub-key" not in stored.totp_secret_encrypted


def test_wrong_codes_end_the_attempt_and_count_against_the_account(app, make_user):
    user = make_user()
    set_up(signed_in(app, user))
    browser = app.test_client()
    sign_in(browser, user.email, PASSWORD)
    for n in range(4):
        assert enter_code(browser, f"00000{n}").status_code == 400
    last = enter_code(browser, "000009")
    assert last.status_code == 302 and last.headers["Location"] == "/portal/sign-in"
    # Five wrong codes make the account wait, as five wrong passwords do.
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 200


def test_regulator_and_auditor_staff_must_set_it_up_before_any_page(app, make_user):
    for role, kind in (("inspector", "regulator"), ("auditor", "auditor")):
        user = make_user(role, kind=kind)
        client = signed_in(app, user)
        page = client.get("/portal/safeguarding" if kind == "regulator" else "/portal/audit")
        assert page.status_code == 302
        assert page.headers["Location"] == "/portal/account/two-factor"
        assert "Your role must sign in with two factors" in client.get(
            "/portal/account/two-factor"
        ).get_data(as_text=True)
        set_up(client)
        landing = "/portal/safeguarding" if kind == "regulator" else "/portal/audit"
        assert client.get(landing).status_code == 200


def test_where_it_is_required_it_cannot_be_turned_off(app, make_user):
    user = make_user("inspector", kind="regulator")
    client = signed_in(app, user)
    set_up(client)
    refused = client.post(
        "/portal/account/two-factor/disable",
        data={"password": PASSWORD, "csrf_token": csrf_token(client, "/portal/account")},
    )
    assert refused.status_code == 400


def test_turning_it_off_needs_the_password_and_ends_every_session(app, make_user, db_session):
    user = make_user()
    client = signed_in(app, user)
    totp, _ = set_up(client)
    other = app.test_client()
    sign_in(other, user.email, PASSWORD)
    enter_code(other, next_code(totp))
    assert other.get("/portal").status_code == 200
    wrong = client.post(
        "/portal/account/two-factor/disable",
        data={"password": "not it", "csrf_token": csrf_token(client, "/portal/account")},
    )
    assert wrong.status_code == 400
    off = client.post(
        "/portal/account/two-factor/disable",
        data={"password": PASSWORD, "csrf_token": csrf_token(client, "/portal/account")},
    )
    assert off.status_code == 302
    assert other.get("/portal").status_code == 302
    assert sign_in(app.test_client(), user.email, PASSWORD).headers["Location"] == "/portal"
    [event] = events(db_session, "user.two_factor_disabled")
    assert event.details == {"sessions_ended": 2}


def test_new_recovery_codes_replace_the_old_ones(app, make_user):
    user = make_user()
    client = signed_in(app, user)
    totp, old = set_up(client)
    fresh = client.post(
        "/portal/account/two-factor/recovery-codes",
        data={"code": next_code(totp), "csrf_token": csrf_token(client, "/portal/account")},
    )
    assert fresh.status_code == 200
    new = CODES.findall(fresh.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    browser = app.test_client()
    sign_in(browser, user.email, PASSWORD)
    assert enter_code(browser, old[1]).status_code == 400
    assert enter_code(browser, new[1]).status_code == 302


def test_the_code_step_expires(app, make_user, monkeypatch):
    import time

    from hub.portal import two_factor as pages

    user = make_user()
    set_up(signed_in(app, user))
    browser = app.test_client()
    sign_in(browser, user.email, PASSWORD)
    later = time.time() + pages.PENDING_SECONDS + 1
    monkeypatch.setattr(pages.time, "time", lambda: later)
    late = browser.get("/portal/sign-in/code")
    assert late.status_code == 302 and late.headers["Location"] == "/portal/sign-in"


def test_the_page_after_turning_it_on_carries_a_working_form_token(app, make_user):
    client = signed_in(app, make_user())
    page = client.get("/portal/account/two-factor").get_data(as_text=True)
    totp = pyotp.TOTP(KEY.search(page)[1].replace(" ", ""))
    done = client.post(
        "/portal/account/two-factor",
        data={"code": totp.now(), "csrf_token": csrf_token(client, "/portal/account/two-factor")},
    )
    # The codes page was rendered in the request that started the new session: its forms
    # (sign out, here) must carry that session's token.
    token = re.search(r'name="csrf_token" value="([^"]+)"', done.get_data(as_text=True))[1]
    assert client.post("/portal/sign-out", data={"csrf_token": token}).status_code == 302
