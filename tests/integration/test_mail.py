"""The mail service against a real SMTP server on loopback: TLS, credentials, retries, files."""

from __future__ import annotations

import email
import smtplib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.context import HubContext
from hub.jobs.runner import run_job
from hub.mail import delivery, outbox
from hub.mail.models import MailMessage
from hub.mail.transport import FileTransport, SmtpTransport, transport_from_settings
from tests.fixtures.smtp import PASSWORD, USER, free_port

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
FROM = "Exchange hub <hub@hub.example>"


def queue_one(db_session, to="volunteer@example.org", subject="Your upload has finished"):
    message = outbox.queue(
        db_session,
        to=to,
        subject=subject,
        body="Riverside Mind's file has been processed.\nhttps://hub.example/portal\n",
        kind="upload-finished",
        now=NOW,
    )
    db_session.commit()
    return message.id


def send(session_factory, transport, now=NOW):
    return delivery.deliver_pending(session_factory, transport, mail_from=FROM, now=now)


def row(db_session, message_id) -> MailMessage:
    found = db_session.scalar(
        sa.select(MailMessage)
        .where(MailMessage.id == message_id)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


def audit(db_session, action):
    return list(db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_a_queued_message_reaches_a_real_smtp_server_once(mail_server, session_factory, db_session):
    server = mail_server("plain")
    message_id = queue_one(db_session)
    transport = SmtpTransport(f"smtp://127.0.0.1:{server.port}?starttls=off")
    assert send(session_factory, transport).to_dict() == {"sent": 1, "retrying": 0, "failed": 0}
    [received] = server.received
    assert received["To"] == "volunteer@example.org"
    assert received["From"] == FROM
    assert received["Subject"] == "Your upload has finished"
    assert received["Message-ID"] == f"<{message_id.hex}@hub.example>"
    assert "https://hub.example/portal" in received.get_payload(decode=True).decode()
    sent = row(db_session, message_id)
    assert sent.status == "sent" and sent.attempts == 1
    # What the message said is not kept once it is sent.
    assert sent.body == ""
    [event] = audit(db_session, "mail.sent")
    assert event.object_id == str(message_id)
    assert event.details == {"kind": "upload-finished", "attempts": 1}
    assert "volunteer" not in repr(event.details)
    # Sent is sent: a second run sends nothing again.
    assert send(session_factory, transport, NOW + timedelta(hours=1)).sent == 0
    assert len(server.received) == 1


def test_starttls_then_the_login_from_the_url(mail_server, session_factory, db_session):
    server = mail_server("starttls", login=True)
    queue_one(db_session)
    url = f"smtp://{USER}:{quote(PASSWORD, safe='')}@localhost:{server.port}"
    transport = SmtpTransport(url, tls=server.trust())
    assert send(session_factory, transport).sent == 1
    assert server.logins == [USER] and len(server.received) == 1


def test_implicit_tls_with_credentials_from_their_own_settings(
    mail_server, session_factory, db_session
):
    server = mail_server("tls", login=True)
    queue_one(db_session)
    transport = SmtpTransport(
        f"smtps://localhost:{server.port}", username=USER, password=PASSWORD, tls=server.trust()
    )
    assert send(session_factory, transport).sent == 1
    assert server.logins == [USER] and len(server.received) == 1


def test_an_untrusted_certificate_is_refused(mail_server, session_factory, db_session):
    server = mail_server("starttls")
    message_id = queue_one(db_session)
    # The system's CAs do not vouch for the test server's certificate.
    transport = SmtpTransport(f"smtp://localhost:{server.port}")
    assert send(session_factory, transport).retrying == 1
    assert server.received == []
    assert "CERTIFICATE_VERIFY_FAILED" in (row(db_session, message_id).last_error or "")


def test_a_server_without_starttls_is_sent_nothing_in_clear(
    mail_server, session_factory, db_session
):
    server = mail_server("plain")
    message_id = queue_one(db_session)
    transport = SmtpTransport(f"smtp://{USER}:secret@127.0.0.1:{server.port}")
    assert send(session_factory, transport).retrying == 1
    assert server.received == [] and server.logins == []
    assert "STARTTLS" in (row(db_session, message_id).last_error or "")
    with pytest.raises(ValueError, match="only sent over TLS"):
        SmtpTransport(f"smtp://{USER}:secret@127.0.0.1:{server.port}?starttls=off")


def test_while_the_mail_server_is_down_nothing_is_lost(mail_server, session_factory, db_session):
    port = free_port()
    message_id = queue_one(db_session)
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}?starttls=off", timeout_s=5)
    assert send(session_factory, transport).retrying == 1
    waiting = row(db_session, message_id)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert waiting.next_attempt_at == NOW + delivery.RETRY.backoff(1)
    # Not due yet: nothing is tried.
    assert send(session_factory, transport, NOW + timedelta(seconds=30)).to_dict() == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
    }
    server = mail_server("plain", port=port)
    assert send(session_factory, transport, NOW + timedelta(minutes=1)).sent == 1
    assert len(server.received) == 1
    assert row(db_session, message_id).attempts == 2


def test_a_message_is_given_up_after_its_last_attempt(session_factory, db_session):
    message_id = queue_one(db_session)
    transport = SmtpTransport(f"smtp://127.0.0.1:{free_port()}?starttls=off", timeout_s=5)
    moment = NOW
    for _ in range(delivery.RETRY.max_attempts):
        report = send(session_factory, transport, moment)
        moment += delivery.RETRY.cap
    assert report.failed == 1
    given_up = row(db_session, message_id)
    assert given_up.status == "failed" and given_up.body == ""
    [event] = audit(db_session, "mail.failed")
    assert event.outcome == "failure"


def test_a_message_exists_only_if_its_event_was_committed(db_session):
    outbox.queue(
        db_session, to="someone@example.org", subject="Hello", body="Hi", kind="test", now=NOW
    )
    db_session.rollback()
    assert outbox.messages_to(db_session, "someone@example.org") == []


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("someone@example.org", "Hello\r\nBcc: everyone@example.org"),
        ("someone@example.org\nBcc: everyone@example.org", "Hello"),
        ("not an address", "Hello"),
    ],
)
def test_header_injection_is_refused(db_session, to, subject):
    with pytest.raises(ValueError):
        outbox.queue(db_session, to=to, subject=subject, body="Hi", kind="test", now=NOW)


def test_without_an_smtp_url_each_message_is_a_file_under_instance_mail(
    settings, engine, session_factory, db_session
):
    message_id = queue_one(db_session)
    ctx = HubContext(settings=settings, engine=engine, session_factory=session_factory)
    transport = transport_from_settings(settings)
    assert isinstance(transport, FileTransport)
    run = run_job(ctx, "mail", now=NOW)
    assert run.status == "succeeded" and run.stats == {"sent": 1, "retrying": 0, "failed": 0}
    [path] = (Path(settings.instance_path) / "mail").glob("*.eml")
    assert path.name == f"{message_id.hex}.eml"
    written = email.message_from_bytes(path.read_bytes())
    assert written["To"] == "volunteer@example.org"
    assert "Riverside Mind" in written.get_payload(decode=True).decode()


def test_an_smtp_url_needs_a_host_and_a_known_scheme():
    for url in ("http://mail.example", "smtp://", "mail.example:25"):
        with pytest.raises(ValueError):
            SmtpTransport(url)
    assert SmtpTransport("smtp://mail.example").port == 587
    assert SmtpTransport("smtps://mail.example").port == 465
    assert isinstance(smtplib.SMTPNotSupportedError("x"), OSError)
