"""Which notification e-mails an organisation receives: every kind is on until turned off."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import ValidationFailed
from hub.mail.models import MailOptOut

SAFEGUARDING_ALERT = "safeguarding-alert"
UPLOAD_FINISHED = "upload-finished"
RELEASE_PUBLISHED = "release-published"
OUTCOME_RECORDED = "outcome-recorded"

# Each kind, what it says to whom, and the organisation kinds that receive it.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    SAFEGUARDING_ALERT: (
        "An immediate-risk safeguarding alert, to the safeguarding inbox",
        ("regulator",),
    ),
    UPLOAD_FINISHED: (
        "A spreadsheet has been processed, to the person who uploaded it",
        ("charity", "healthwatch", "community_group"),
    ),
    RELEASE_PUBLISHED: (
        "A new release of a dataset you receive, to your administrators",
        ("charity", "healthwatch", "community_group"),
    ),
    OUTCOME_RECORDED: (
        "The regulator recorded an outcome against your records, to your administrators",
        ("charity", "healthwatch", "community_group"),
    ),
}


def kinds_for(organisation_kind: str | None) -> list[str]:
    return [kind for kind, (_, kinds) in KINDS.items() if organisation_kind in kinds]


def turned_off(
    session: Session, organisation_ids: Iterable[uuid.UUID], kind: str
) -> set[uuid.UUID]:
    """Those of ``organisation_ids`` that have turned ``kind`` off."""
    wanted = list(set(organisation_ids))
    if not wanted:
        return set()
    return set(
        session.scalars(
            sa.select(MailOptOut.organisation_id).where(
                MailOptOut.organisation_id.in_(wanted), MailOptOut.kind == kind
            )
        )
    )


def choices(session: Session, organisation_id: uuid.UUID) -> set[str]:
    """The kinds the organisation has turned off."""
    return set(
        session.scalars(
            sa.select(MailOptOut.kind).where(MailOptOut.organisation_id == organisation_id)
        )
    )


def set_on(
    session: Session,
    actor: Actor,
    organisation_id: uuid.UUID,
    organisation_kind: str,
    on: Iterable[str],
    *,
    now: datetime | None = None,
) -> list[str]:
    """Keep the kinds in ``on`` on and turn the organisation's other kinds off; audited. The
    kinds now off."""
    allowed = kinds_for(organisation_kind)
    wanted = set(on)
    unknown = wanted - set(allowed)
    if unknown:
        raise ValidationFailed(
            "Unknown kind of notification.", errors={"on": ["Choose from the list"]}
        )
    now = now or utcnow()
    off = sorted(set(allowed) - wanted)
    session.execute(sa.delete(MailOptOut).where(MailOptOut.organisation_id == organisation_id))
    for kind in off:
        session.add(
            MailOptOut(
                organisation_id=organisation_id, kind=kind, created_at=now, created_by=actor.label
            )
        )
    session.flush()
    record(
        session,
        actor,
        "notifications.changed",
        object_type="organisation",
        object_id=organisation_id,
        organisation_id=organisation_id,
        details={"off": off},
        now=now,
    )
    return off
