"""``Idempotency-Key``: the first answer to a keyed write request is replayed on a retry.

The contract is HTTP's (a header, a status, a replayed answer), so it lives with the API; the
answers are kept by the records feature (``hub.exchange.records.replies``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.errors import ValidationFailed
from hub.exchange.records.replies import claim_reply, find_reply, keep_reply

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True, slots=True)
class Answer:
    """A write request's answer: status, JSON-ready body and extra headers."""

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]


def check_key(key: str) -> str:
    """The key as given, if usable (1 to 255 visible ASCII characters)."""
    if not _KEY.fullmatch(key):
        raise ValidationFailed(
            f"The {HEADER} header must be 1 to 255 visible ASCII characters.",
            errors={HEADER: ["1 to 255 visible ASCII characters, e.g. a UUID."]},
        )
    return key


def request_digest(key: bytes, endpoint: str, payload: Any) -> str:
    """HMAC over the endpoint and the canonical JSON of the body."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    # surrogatepass: a body with lone surrogates still gets a digest (and then a clear 422).
    message = f"{endpoint}\n{canonical}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def answer_once(
    session: Session,
    organisation_id: uuid.UUID,
    key: str | None,
    *,
    endpoint: str,
    digest: str,
    answer: Callable[[], Answer],
    now: datetime,
    replay: bool = True,
) -> Answer:
    """``answer()``, kept under ``key``; with a key already used, the kept answer instead.

    The same key with another body or endpoint is refused (422 ``idempotency-key-reused``).
    Without ``replay`` (a dry run) the key is only checked: nothing is looked up or kept.
    """
    if key is None:
        return answer()
    key = check_key(key)
    if not replay:
        return answer()
    stored = find_reply(session, organisation_id, key) or claim_reply(
        session, organisation_id, key, endpoint=endpoint, digest=digest, now=now
    )
    if stored is not None:
        if stored.endpoint != endpoint or stored.request_digest != digest:
            raise ValidationFailed(
                f"This {HEADER} was already used for a different request. Use a new key for a "
                "new request.",
                code="idempotency-key-reused",
                errors={HEADER: ["Already used with a different request body or endpoint."]},
            )
        return Answer(stored.status_code, stored.body, {REPLAYED_HEADER: "true"})
    # This request holds the key until it ends: concurrent ones with the key wait for it.
    given = answer()
    keep_reply(session, organisation_id, key, status_code=given.status_code, body=given.body)
    return given
