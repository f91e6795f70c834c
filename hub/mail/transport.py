"""How a message leaves the hub: SMTP (``HUB_SMTP_URL``) or files under ``instance/mail/``.

``smtp://host[:port]`` (port 587 by default) must upgrade with STARTTLS before anything else is
said: a server that does not offer it is not sent to, so neither credentials nor messages cross
the network in clear. ``smtps://host[:port]`` (465) speaks TLS from the first byte. Certificates
are checked against the system's trusted CAs and the host name. ``?starttls=off`` on an
``smtp://`` URL sends in clear, for a relay on the same machine, and then refuses credentials.
Credentials come from the URL (``smtp://user:password@host``, percent-encoded) or from
``HUB_SMTP_USERNAME`` / ``HUB_SMTP_PASSWORD``.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from hub.config import Settings
from hub.mail.models import MailMessage

DEFAULT_TIMEOUT_S = 30.0


class Transport(Protocol):
    """Sends one message or raises OSError (``smtplib.SMTPException`` is one)."""

    def send(self, message: EmailMessage) -> None: ...

    def describe(self) -> str: ...


def build(
    row: MailMessage, mail_from: str, *, to: str | None = None, hub_url: str = ""
) -> EmailMessage:
    """The message a row stands for, with a Message-ID derived from its id (a resend is the same
    message to the receiver); ``to`` replaces an inbox name, ``hub_url`` the body's link base."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to or row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    domain = mail_from.rpartition("@")[2].strip(" >") or "localhost"
    message["Message-ID"] = f"<{row.id.hex}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body.replace("{hub_url}", hub_url.rstrip("/")))
    return message


class FileTransport:
    """Writes each message as ``<Message-ID>.eml`` into a folder (``make run``: instance/mail)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def describe(self) -> str:
        return f"files in {self.directory}"

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").partition("@")[0] or "message"
        data = bytes(message)
        # Written whole or not at all: a reader never sees half a message.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self.directory / f"{name}.eml")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class SmtpTransport:
    """Sends over SMTP with STARTTLS or implicit TLS, authenticating when given credentials."""

    def __init__(
        self,
        url: str,
        *,
        username: str = "",
        password: str = "",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("HUB_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.starttls = self.implicit_tls or query.get("starttls", "on").lower() not in (
            "off",
            "no",
            "false",
            "0",
        )
        self.username = unquote(parts.username) if parts.username else username
        self.password = unquote(parts.password) if parts.password else password
        if self.username and not (self.implicit_tls or self.starttls):
            raise ValueError("SMTP credentials are only sent over TLS: remove ?starttls=off")
        self.timeout_s = timeout_s
        self.tls = tls or ssl.create_default_context()

    def describe(self) -> str:
        mode = "TLS" if self.implicit_tls else "STARTTLS" if self.starttls else "no TLS"
        return f"smtp {self.host}:{self.port} ({mode})"

    def send(self, message: EmailMessage) -> None:
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout_s, context=self.tls
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with client:
            client.ehlo()
            if self.starttls and not self.implicit_tls:
                if not client.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(
                        "the SMTP server does not offer STARTTLS; nothing was sent in clear"
                    )
                client.starttls(context=self.tls)
                client.ehlo()
            if self.username:
                client.login(self.username, self.password)
            client.send_message(message)


def transport_from_settings(settings: Settings) -> Transport:
    """SMTP when ``HUB_SMTP_URL`` is set, else files under ``<instance>/mail``."""
    if settings.smtp_url:
        return SmtpTransport(
            settings.smtp_url, username=settings.smtp_username, password=settings.smtp_password
        )
    return FileTransport(Path(settings.instance_path) / "mail")
