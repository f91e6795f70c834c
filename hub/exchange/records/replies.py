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


def claim_reply(
    session: Session,
    organisation_id: uuid.UUID,
    key: str,
    *,
    endpoint: str,
    digest: str,
    now: datetime,
) -> IdempotentResponse | None:
    """Claim ``key`` before answering: ``None`` when this request holds it now, else the answer
    another request kept under it.

    The claim is a row inserted in this request's transaction, so a concurrent request with the
    same key waits on the primary key until this one ends (PostgreSQL; SQLite has one writer):
    then it finds the kept answer, or, if this request failed and kept nothing, claims the key
    itself. Only one request at a time ever answers under a key.
    """
    claim = IdempotentResponse(
        organisation_id=organisation_id,
        key=key,
        endpoint=endpoint,
        request_digest=digest,
        status_code=0,
        body={},
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(claim)
    except IntegrityError:
        return session.get(IdempotentResponse, (organisation_id, key), populate_existing=True)
    return None


def keep_reply(
    session: Session,
    organisation_id: uuid.UUID,
    key: str,
    *,
    status_code: int,
    body: dict[str, Any],
) -> None:
    """Keep the answer under the key this request claimed (``claim_reply``)."""
    claimed = session.get(IdempotentResponse, (organisation_id, key))
    assert claimed is not None, "keep_reply without claim_reply"
    claimed.status_code = status_code
    claimed.body = body
    session.flush()
