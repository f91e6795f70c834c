"""E-mail: messages written to an outbox in the transaction of the event that causes them, and
sent by the ``mail`` job over SMTP (``HUB_SMTP_URL``) or, without it, into ``instance/mail/``."""
