"""Pure rules for webhooks: event names, endpoint URLs, signatures, backoff, secret sealing."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

EVENTS = (
    "dataset.released",
    "outcome.created",
    "submission.completed",
    "consent.withdrawn",
    "safeguarding.alert",
)
# Only the regulator acts on these: they concern every partner's records.
REGULATOR_ONLY_EVENTS = frozenset({"consent.withdrawn", "safeguarding.alert"})

SIGNATURE_HEADER = "Hub-Signature"
SIGNATURE_TOLERANCE_S = 300
MAX_URL_LENGTH = 2000

# Retries: 1, 2, 4, ... minutes, at most 6 hours apart; after 12 failed attempts (about 20 hours
# of trying) the delivery is given up as failed.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 12


def events_for(organisation_kind: str | None) -> tuple[str, ...]:
    """The events an organisation of this kind may subscribe to."""
    if organisation_kind == "regulator":
        return EVENTS
    return tuple(e for e in EVENTS if e not in REGULATOR_ONLY_EVENTS)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None if it can."""
    if len(url) > MAX_URL_LENGTH:
        return f"At most {MAX_URL_LENGTH} characters."
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "No spaces or control characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "Not a valid URL."
    if parts.scheme not in ("http", "https"):
        return "Must be an http or https URL."
    if not parts.hostname:
        return "Must name a host."
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "Must not carry credentials; the signature authenticates the hub."
    if parts.fragment:
        return "Must not have a #fragment."
    return None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Hub-Signature`` value: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: int,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` within ``tolerance_s`` of ``now``."""
    fields: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields.get("t", [""])[0])
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt before the next one."""
    exponent = max(attempts - 1, 0)
    if exponent >= 20:
        return BACKOFF_CAP
    return min(BACKOFF_BASE * (2**exponent), BACKOFF_CAP)


class SecretBox:
    """Encrypts endpoint secrets under a key derived from the hub's own secret."""

    def __init__(self, hub_secret: str) -> None:
        if not hub_secret:
            raise ValueError("the hub secret is empty")
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"hub webhook secrets v1"
        ).derive(hub_secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The secret, or None if it was sealed under another hub secret."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None
