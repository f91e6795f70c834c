"""Notification e-mails: written with the event, sent by the mail job to a real SMTP server on
loopback, never carrying a narrative; each kind can be turned off per organisation."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.clock import utcnow
from hub.context import HubContext
from hub.jobs.catalogue import schedule_of
from hub.jobs.runner import run_job
from hub.mail import outbox, preferences
from hub.mail.models import MailMessage
from hub.tasks.scheduler import cron_trigger
from tests.api.test_portal_signin import PASSWORD, csrf_token, events, sign_in
from tests.api.test_portal_upload import good, make_csv, post_file
from tests.factories import ACTOR

INBOX = "duty-desk@regulator.example"
NARRATIVE = "Zebedee said the night nurse left Marigold alone on the floor for hours."
IMMEDIATE = {"concern": True, "immediate_risk": True, "categories": ["neglect"]}


@pytest.fixture
def mail_settings(mail_server):
    server = mail_server("plain")
    return server, {
        "smtp_url": f"smtp://127.0.0.1:{server.port}?starttls=off",
        "safeguarding_email": INBOX,
        "public_url": "https://hub.example",
    }


def run_mail_job(app, now=None):
    ctx: HubContext = app.extensions["hub"]
    run = run_job(ctx, "mail", now=now or utcnow())
    assert run.status == "succeeded", run.error
    return run.stats


def queued(db_session, kind):
    return list(
        db_session.scalars(
            sa.select(MailMessage).where(MailMessage.kind == kind).order_by(MailMessage.to_address)
        )
    )


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def test_an_immediate_risk_alert_reaches_the_safeguarding_inbox_without_the_narrative(
    make_app, mail_settings, make_party, make_org, auth_headers, make_record, db_session
):
    server, settings = mail_settings
    app = make_app(**settings)
    make_org("regulator")
    partner = make_party("charity")
    response = app.test_client().post(
        "/api/v1/experiences",
        json=make_record(narrative=NARRATIVE, safeguarding=IMMEDIATE),
        headers=auth_headers(partner),
    )
    assert response.status_code == 201, response.get_json()
    alert_id = response.get_json()["safeguarding"]["alert"]["id"]
    # Written in the request's own transaction: there when the answer is.
    [pending] = queued(db_session, preferences.SAFEGUARDING_ALERT)
    assert pending.status == "pending"
    assert run_mail_job(app)["sent"] == 1
    [received] = server.received
    assert received["To"] == INBOX
    text = body_of(received)
    assert f"https://hub.example/portal/safeguarding#alert-{alert_id}" in text
    raw = received.as_string()
    for word in ("Zebedee", "Marigold", "night nurse", "floor"):
        assert word not in raw


def test_the_mail_job_runs_at_least_once_a_minute(settings):
    trigger = cron_trigger(schedule_of(settings, "mail"))
    start = utcnow()
    first = trigger.get_next_fire_time(None, start)
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
    assert first - start <= timedelta(minutes=1)
    assert second - first <= timedelta(minutes=1)


def test_a_concern_without_immediate_risk_is_not_mailed(
    app, make_org, make_party, auth_headers, make_record, db_session
):
    make_org("regulator")
    concern = {"concern": True, "immediate_risk": False, "categories": ["neglect"]}
    app.test_client().post(
        "/api/v1/experiences",
        json=make_record(safeguarding=concern),
        headers=auth_headers(make_party("charity")),
    )
    assert queued(db_session, preferences.SAFEGUARDING_ALERT) == []


def test_without_an_inbox_address_the_alert_mail_fails_visibly(
    make_app, make_org, make_party, auth_headers, make_record, db_session
):
    app = make_app(safeguarding_email="")
    make_org("regulator")
    app.test_client().post(
        "/api/v1/experiences",
        json=make_record(safeguarding=IMMEDIATE),
        headers=auth_headers(make_party("charity")),
    )
    assert run_mail_job(app)["failed"] == 1
    [message] = queued(db_session, preferences.SAFEGUARDING_ALERT)
    assert message.status == "failed" and "HUB_SAFEGUARDING_EMAIL" in (message.last_error or "")


def test_a_processed_upload_is_mailed_to_its_uploader(
    make_app, mail_settings, make_user, db_session
):
    server, settings = mail_settings
    app = make_app(**settings)
    uploader = make_user("uploader")
    colleague = make_user("admin", org=uploader.organisation)
    client = app.test_client()
    sign_in(client, uploader.email, PASSWORD)
    response = post_file(client, make_csv([good(0), good(1, narrative="")]), name="march.csv")
    assert response.status_code == 302
    [message] = queued(db_session, preferences.UPLOAD_FINISHED)
    assert message.to_address == uploader.email
    run_mail_job(app)
    [received] = server.received
    text = body_of(received)
    assert "march.csv" in text and "Rows accepted: 1" in text and "need fixing: 1" in text
    assert "https://hub.example/portal/submissions/" in text
    assert colleague.email not in received["To"]


def test_a_release_is_mailed_to_the_entitled_partners_admins_only(
    make_app, make_party, make_user, auth_headers, db_session
):
    app = make_app()
    regulator = make_party("regulator")
    cancer = make_party("charity", conditions=["cancer"])
    other = make_party("charity", conditions=["mental-health"])
    admin = make_user("admin", org=cancer.org)
    make_user("uploader", org=cancer.org)
    make_user("admin", org=other.org)
    response = app.test_client().post(
        "/api/v1/datasets/cancer-survey/releases",
        data={
            "file": (io.BytesIO(b"a,b\n1,2\n"), "survey.csv"),
            "title": "Cancer survey",
            "condition_area": "cancer",
        },
        headers=auth_headers(regulator),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    [message] = queued(db_session, preferences.RELEASE_PUBLISHED)
    assert message.to_address == admin.email
    assert "Cancer survey (version 1)" in message.subject
    assert "{hub_url}/portal/datasets" in message.body


def test_an_outcome_is_mailed_to_the_partners_admins(
    app, make_party, make_user, auth_headers, make_record, db_session
):
    partner = make_party("charity")
    admin = make_user("admin", org=partner.org)
    client = app.test_client()
    created = client.post(
        "/api/v1/experiences", json=make_record(), headers=auth_headers(partner)
    ).get_json()
    outcome = client.post(
        "/api/v1/outcomes",
        json={
            "kind": "shared-with-provider",
            "summary": "We shared what people told us with the trust.",
            "record_ids": [created["id"]],
            "occurred_on": "2026-02-20",
        },
        headers=auth_headers(make_party("regulator")),
    )
    assert outcome.status_code == 201, outcome.get_json()
    [message] = queued(db_session, preferences.OUTCOME_RECORDED)
    assert message.to_address == admin.email
    assert "1 of your organisation's record" in message.body


def test_an_admin_turns_a_kind_off_for_the_organisation(
    app, make_party, make_user, auth_headers, make_record, db_session
):
    partner = make_party("charity", conditions=["cancer"])
    admin = make_user("admin", org=partner.org)
    client = app.test_client()
    sign_in(client, admin.email, PASSWORD)
    page = client.get("/portal/notifications").get_data(as_text=True)
    assert "A new release of a dataset you receive" in page
    saved = client.post(
        "/portal/notifications",
        data={
            "on": [preferences.UPLOAD_FINISHED, preferences.OUTCOME_RECORDED],
            "csrf_token": csrf_token(client, "/portal/notifications"),
        },
    )
    assert saved.status_code == 302
    [event] = events(db_session, "notifications.changed")
    assert event.details == {"off": [preferences.RELEASE_PUBLISHED]}
    response = app.test_client().post(
        "/api/v1/datasets/cancer-survey/releases",
        data={
            "file": (io.BytesIO(b"a,b\n1,2\n"), "survey.csv"),
            "title": "Cancer survey",
            "condition_area": "cancer",
        },
        headers=auth_headers(make_party("regulator")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    assert queued(db_session, preferences.RELEASE_PUBLISHED) == []


def test_the_regulator_can_turn_the_safeguarding_mail_off(
    app, make_org, make_party, auth_headers, make_record, db_session
):
    regulator = make_org("regulator")
    preferences.set_on(db_session, ACTOR, regulator.id, "regulator", [])
    db_session.commit()
    app.test_client().post(
        "/api/v1/experiences",
        json=make_record(safeguarding=IMMEDIATE),
        headers=auth_headers(make_party("charity")),
    )
    assert queued(db_session, preferences.SAFEGUARDING_ALERT) == []


def test_only_admins_choose_notifications(app, make_user):
    client = app.test_client()
    sign_in(client, make_user("uploader").email, PASSWORD)
    assert client.get("/portal/notifications").status_code == 403


def test_messages_hold_no_narrative_even_in_the_outbox(
    app, make_org, make_party, auth_headers, make_record, db_session
):
    make_org("regulator")
    app.test_client().post(
        "/api/v1/experiences",
        json=make_record(narrative=NARRATIVE, safeguarding=IMMEDIATE),
        headers=auth_headers(make_party("charity")),
    )
    for message in db_session.scalars(sa.select(MailMessage)):
        assert "Zebedee" not in message.body + message.subject
    assert outbox.messages_to(db_session, outbox.SAFEGUARDING_INBOX)
