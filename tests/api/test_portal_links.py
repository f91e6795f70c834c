"""Invitations and password resets by single-use e-mailed links; no account enumeration."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from hub.cli import main
from hub.clock import utcnow
from hub.identity import links
from hub.identity.models import PortalUser
from hub.mail import delivery, outbox
from hub.mail.models import MailMessage
from hub.mail.transport import SmtpTransport
from tests.api.test_portal_signin import PASSWORD, csrf_token, error_message, events, sign_in

TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")
NEW = "a completely new passphrase"


def ask_reset(client, email):
    return client.post(
        "/portal/password-reset",
        data={"email": email, "csrf_token": csrf_token(client, "/portal/password-reset")},
    )


def token_in(db_session, address) -> str:
    [*_, message] = outbox.messages_to(db_session, address)
    match = TOKEN.search(message.body)
    assert match, "no link in the message"
    return match.group(1)


def set_password(client, path, token, password=NEW):
    page = client.get(f"{path}?token={token}")
    if page.status_code != 200:
        return page
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert match
    return client.post(
        path,
        data={"token": token, "password": password, "confirm": password, "csrf_token": match[1]},
    )


def visible_text(response) -> str:
    html = response.get_data(as_text=True)
    main = html.split('id="main-content"', 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def test_asking_for_a_reset_answers_the_same_whether_or_not_the_address_is_registered(
    app, make_user, db_session
):
    user = make_user()
    known = ask_reset(app.test_client(), user.email)
    unknown = ask_reset(app.test_client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert visible_text(known) == visible_text(unknown)
    assert "If the address is registered, we have sent a link" in visible_text(known)
    assert len(outbox.messages_to(db_session, user.email)) == 1
    assert outbox.messages_to(db_session, "nobody@example.org") == []
    asked = events(db_session, "user.password_reset_requested")
    assert [e.outcome for e in asked] == ["success", "failure"]
    assert "nobody" not in repr([(e.object_id, e.details) for e in asked])


def test_a_reset_link_from_a_real_mail_server_works_once_and_ends_every_session(
    app, make_user, db_session, session_factory, mail_server
):
    user = make_user()
    laptop = app.test_client()
    assert sign_in(laptop, user.email, PASSWORD).status_code == 302
    ask_reset(app.test_client(), user.email)
    server = mail_server("plain")
    transport = SmtpTransport(f"smtp://127.0.0.1:{server.port}?starttls=off")
    delivery.deliver_pending(session_factory, transport, mail_from="hub@example.org", now=utcnow())
    [received] = server.received
    assert received["To"] == user.email
    token = TOKEN.search(received.get_payload(decode=True).decode())[1]

    browser = app.test_client()
    done = set_password(browser, "/portal/password-reset/new", token)
    assert done.status_code == 302 and done.headers["Location"] == "/portal/sign-in"
    assert laptop.get("/portal").status_code == 302
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 200
    assert sign_in(app.test_client(), user.email, NEW).status_code == 302
    again = set_password(app.test_client(), "/portal/password-reset/new", token, "yet another one!")
    assert again.status_code == 404
    assert "This link does not work any more" in visible_text(again)
    [event] = events(db_session, "user.password_reset")
    assert event.actor == f"user:{user.id}" and event.details == {"sessions_ended": 1}


def test_a_reset_link_expires_after_an_hour(app, make_user, db_session, monkeypatch):
    user = make_user()
    ask_reset(app.test_client(), user.email)
    token = token_in(db_session, user.email)
    later = utcnow() + links.RESET_TTL
    monkeypatch.setattr(links, "utcnow", lambda: later)
    assert set_password(app.test_client(), "/portal/password-reset/new", token).status_code == 404


def test_a_newer_link_replaces_the_older_one(app, make_user, db_session, monkeypatch):
    user = make_user()
    ask_reset(app.test_client(), user.email)
    first = token_in(db_session, user.email)
    # Asking again at once sends nothing more (no flood of mail to the owner).
    ask_reset(app.test_client(), user.email)
    assert len(outbox.messages_to(db_session, user.email)) == 1
    later = utcnow() + links.RESET_RESEND_AFTER + timedelta(seconds=1)
    monkeypatch.setattr(links, "utcnow", lambda: later)
    ask_reset(app.test_client(), user.email)
    second = token_in(db_session, user.email)
    assert second != first
    assert set_password(app.test_client(), "/portal/password-reset/new", first).status_code == 404
    assert set_password(app.test_client(), "/portal/password-reset/new", second).status_code == 302


def test_a_forged_or_wrong_kind_of_link_opens_nothing(app, make_user, db_session):
    user = make_user()
    ask_reset(app.test_client(), user.email)
    token = token_in(db_session, user.email)
    client = app.test_client()
    assert client.get("/portal/password-reset/new?token=forged").status_code == 404
    assert client.get("/portal/password-reset/new").status_code == 404
    # A reset link is not an invitation.
    assert client.get(f"/portal/invitation?token={token}").status_code == 404


def test_a_reset_ends_the_wait_after_failed_sign_ins(app, make_user, db_session):
    user = make_user()
    # Someone elsewhere guesses at the owner's address and makes it wait.
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    for n in range(6):
        sign_in(guesser, user.email, f"wrong {n}")
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 200
    ask_reset(app.test_client(), user.email)
    set_password(app.test_client(), "/portal/password-reset/new", token_in(db_session, user.email))
    assert sign_in(app.test_client(), user.email, NEW).status_code == 302


def invite(client, email, role):
    return client.post(
        "/portal/users/invite",
        data={
            "email": email,
            "role": role,
            "csrf_token": csrf_token(client, "/portal/users/invite"),
        },
    )


def test_an_admin_invites_and_the_invitee_chooses_a_password(app, make_user, db_session):
    admin = make_user("admin", kind="healthwatch")
    client = app.test_client()
    sign_in(client, admin.email, PASSWORD)
    response = invite(client, "New.Volunteer@Example.org", "uploader")
    assert response.status_code == 302
    assert "We have sent an invitation to New.Volunteer@Example.org" in visible_text(
        client.get(response.headers["Location"])
    )
    invited = db_session.scalar(
        sa.select(PortalUser).where(PortalUser.email == "new.volunteer@example.org")
    )
    assert invited is not None and invited.organisation_id == admin.organisation_id
    # Until the invitation is accepted nobody can sign in as the new user.
    token = token_in(db_session, invited.email)
    page = app.test_client().get(f"/portal/invitation?token={token}")
    assert page.status_code == 200 and "Accept your invitation" in visible_text(page)
    assert admin.organisation.name in visible_text(page)
    assert set_password(app.test_client(), "/portal/invitation", token).status_code == 302
    assert sign_in(app.test_client(), invited.email, NEW).status_code == 302
    [made] = events(db_session, "user.invited")
    assert made.actor == f"user:{admin.id}" and made.details["role"] == "uploader"
    [accepted] = events(db_session, "user.invitation_accepted")
    assert accepted.object_id == str(invited.id)


def test_an_invitation_expires_after_seven_days(app, make_user, db_session, monkeypatch):
    admin = make_user("admin")
    client = app.test_client()
    sign_in(client, admin.email, PASSWORD)
    invite(client, "late@example.org", "uploader")
    token = token_in(db_session, "late@example.org")
    later = utcnow() + links.INVITATION_TTL
    monkeypatch.setattr(links, "utcnow", lambda: later)
    assert set_password(app.test_client(), "/portal/invitation", token).status_code == 404


def test_only_an_admin_invites_and_only_roles_of_its_organisation(app, make_user, db_session):
    uploader = make_user("uploader")
    client = app.test_client()
    sign_in(client, uploader.email, PASSWORD)
    assert client.get("/portal/users/invite").status_code == 403
    admin = make_user("admin")
    client = app.test_client()
    sign_in(client, admin.email, PASSWORD)
    refused = invite(client, "someone@example.org", "inspector")
    assert refused.status_code == 400
    taken = invite(client, uploader.email, "uploader")
    assert taken.status_code == 400
    assert error_message(taken.get_data(as_text=True)) == "That address already has an account"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MailMessage)) == 0


def test_hub_users_invite_queues_the_invitation(fresh_database_url, tmp_path: Path):
    env = {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
        "HUB_PUBLIC_URL": "https://hub.example",
    }
    runner = CliRunner()
    org = runner.invoke(
        main, ["orgs", "add", "--name", "Mind", "--kind", "charity", "--json"], env=env
    )
    org_id = json.loads(org.output)["id"]
    invited = runner.invoke(
        main,
        ["users", "invite", "--org", org_id, "--email", "lead@mind.example", "--role", "admin"],
        env=env,
    )
    assert invited.exit_code == 0, invited.output
    assert "lead@mind.example" in invited.output
    sent = runner.invoke(main, ["jobs", "run", "mail"], env=env)
    assert sent.exit_code == 0, sent.output
    [path] = (tmp_path / "instance" / "mail").glob("*.eml")
    text = path.read_text()
    assert "https://hub.example/portal/invitation?token=" in text
