"""Answers kept for replay: the first answer to a keyed write request, by organisation and key.

The contract that uses them (the ``Idempotency-Key`` header) is the API's
(``hub.api.idempotency``); this keeps and finds the answers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.exchange.records.models import IdempotentResponse


def find_reply(session: Session, organisation_id: uuid.UUID, key: str) -> IdempotentResponse | None:
    """The answer kept under ``key`` for this organisation, if any."""
    return session.get(IdempotentResponse, (organisation_id, key))


def keep_reply(
    session: Session,
    organisation_id: uuid.UUID,
    key: str,
    *,
    endpoint: str,
    digest: str,
    status_code: int,
    body: dict[str, Any],
    now: datetime,
) -> None:
    """Keep the answer; when a concurrent retry kept one first, theirs stands."""
    try:
        with session.begin_nested():
            session.add(
                IdempotentResponse(
                    organisation_id=organisation_id,
                    key=key,
                    endpoint=endpoint,
                    request_digest=digest,
                    status_code=status_code,
                    body=body,
                    created_at=now,
                )
            )
    except IntegrityError:
        pass
