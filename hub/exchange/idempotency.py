"""``Idempotency-Key``: the first answer to a keyed write request is replayed on a retry."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.errors import ValidationFailed
from hub.exchange.models import IdempotentResponse

HEADER = "Idempotency-Key"
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


def lookup(
    session: Session, organisation_id: uuid.UUID, key: str, endpoint: str, digest: str
) -> Answer | None:
    """The stored answer for this key, or None; a different request under the key is refused."""
    stored = session.get(IdempotentResponse, (organisation_id, key))
    if stored is None:
        return None
    if stored.endpoint != endpoint or stored.request_digest != digest:
        raise ValidationFailed(
            f"This {HEADER} was already used for a different request. Use a new key for a new "
            "request.",
            code="idempotency-key-reused",
            errors={HEADER: ["Already used with a different request body or endpoint."]},
        )
    return Answer(stored.status_code, stored.body, {"Idempotent-Replayed": "true"})


def remember(
    session: Session,
    organisation_id: uuid.UUID,
    key: str,
    endpoint: str,
    digest: str,
    answer: Answer,
    *,
    now: datetime,
) -> None:
    """Keep the answer; when a concurrent retry stored one first, theirs stands."""
    try:
        with session.begin_nested():
            session.add(
                IdempotentResponse(
                    organisation_id=organisation_id,
                    key=key,
                    endpoint=endpoint,
                    request_digest=digest,
                    status_code=answer.status_code,
                    body=answer.body,
                    created_at=now,
                )
            )
    except IntegrityError:
        pass
