"""Notices by e-mail, written in the transaction of the change they report (as webhook notices
are): immediate-risk safeguarding alerts to the regulator's safeguarding inbox, a processed
upload to its uploader, a new release to the entitled partners' administrators, an outcome to
the administrators of the partners whose records it names. Each kind can be turned off per
organisation (``hub.mail.preferences``). No message carries a narrative: ids, counts, codes and
a link to the page that shows the rest to whoever may see it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.identity.models import PortalUser
from hub.mail import outbox, preferences
from hub.mail.outbox import HUB_URL

CATEGORY_WORDS = {"self-harm": "self-harm or risk of suicide"}


def _admins(session: Session, organisation_ids: Iterable[uuid.UUID]) -> list[PortalUser]:
    wanted = list(set(organisation_ids))
    if not wanted:
        return []
    return list(
        session.scalars(
            sa.select(PortalUser)
            .where(
                PortalUser.organisation_id.in_(wanted),
                PortalUser.role == "admin",
                PortalUser.deactivated_at.is_(None),
            )
            .order_by(PortalUser.organisation_id, PortalUser.email)
        )
    )


def safeguarding_alerts(
    session: Session,
    alerts: Sequence[Mapping[str, Any]],
    regulator_ids: Sequence[uuid.UUID],
    *,
    now: datetime,
) -> int:
    """One message to the safeguarding inbox per immediate-risk alert; how many."""
    immediate = [a for a in alerts if a.get("immediate")]
    if not immediate or not regulator_ids:
        return 0
    if preferences.turned_off(session, regulator_ids, preferences.SAFEGUARDING_ALERT):
        return 0
    for alert in immediate:
        categories = ", ".join(CATEGORY_WORDS.get(c, c) for c in alert["categories"]) or "none"
        due = alert["due_at"]
        where = alert.get("location_id") or "not yet matched to the registry"
        outbox.queue(
            session,
            to=outbox.SAFEGUARDING_INBOX,
            subject=f"Immediate-risk safeguarding alert (location {where})",
            body=(
                "A record reached the exchange hub with a safeguarding concern marked as an "
                "immediate risk.\n\n"
                f"Location: {where}\n"
                f"Categories: {categories}\n"
                f"Act by: {due:%d %B %Y %H:%M} UTC\n\n"
                "Open the alert (sign in as regulator staff):\n"
                f"{HUB_URL}/portal/safeguarding#alert-{alert['id']}\n\n"
                "What the person said is not in this email: read it in the hub.\n"
            ),
            kind=preferences.SAFEGUARDING_ALERT,
            organisation_id=regulator_ids[0],
            now=now,
        )
    return len(immediate)


def upload_finished(
    session: Session,
    *,
    submission_id: uuid.UUID,
    organisation_id: uuid.UUID,
    submitted_by: str,
    filename: str | None,
    status: str,
    accepted: int,
    rejected: int,
    now: datetime,
) -> bool:
    """Tell the portal user who uploaded a file that it has been processed; whether queued."""
    kind, _, ident = submitted_by.partition(":")
    if kind != "user":
        return False
    try:
        user = session.get(PortalUser, uuid.UUID(ident))
    except ValueError:
        return False
    if user is None or not user.is_active or user.organisation_id != organisation_id:
        return False
    if preferences.turned_off(session, [organisation_id], preferences.UPLOAD_FINISHED):
        return False
    name = filename or "your spreadsheet"
    outcome = "has been processed" if status == "completed" else "could not be processed"
    outbox.queue(
        session,
        to=user.email,
        subject=f"Your upload {outcome}",
        body=(
            f"The file {name} you uploaded to the exchange hub {outcome}.\n\n"
            f"Rows accepted: {accepted}\nRows that need fixing: {rejected}\n\n"
            "See the details, and download the report of rows to fix:\n"
            f"{HUB_URL}/portal/submissions/{submission_id}\n"
        ),
        kind=preferences.UPLOAD_FINISHED,
        organisation_id=organisation_id,
        now=now,
    )
    return True


def release_published(
    session: Session,
    *,
    slug: str,
    title: str,
    version: int,
    organisation_ids: Iterable[uuid.UUID],
    now: datetime,
) -> int:
    """Tell the administrators of each entitled partner about a new release; how many."""
    wanted = set(organisation_ids)
    wanted -= preferences.turned_off(session, wanted, preferences.RELEASE_PUBLISHED)
    admins = _admins(session, wanted)
    for admin in admins:
        outbox.queue(
            session,
            to=admin.email,
            subject=f"New data from the regulator: {title} (version {version})",
            body=(
                f"Version {version} of the dataset {title} ({slug}) has been published, and "
                "your organisation's data-sharing agreement entitles it to a copy.\n\n"
                f"Download it:\n{HUB_URL}/portal/datasets\n"
            ),
            kind=preferences.RELEASE_PUBLISHED,
            organisation_id=admin.organisation_id,
            now=now,
        )
    return len(admins)


def outcome_recorded(
    session: Session,
    *,
    outcome_id: uuid.UUID,
    kind: str,
    records_by_partner: Mapping[uuid.UUID, int],
    now: datetime,
) -> int:
    """Tell the administrators of each partner whose records an outcome names; how many."""
    wanted = set(records_by_partner)
    wanted -= preferences.turned_off(session, wanted, preferences.OUTCOME_RECORDED)
    admins = _admins(session, wanted)
    for admin in admins:
        count = records_by_partner[admin.organisation_id]
        outbox.queue(
            session,
            to=admin.email,
            subject="You said, we did: the regulator recorded an outcome",
            body=(
                f"The regulator recorded an outcome ({kind.replace('-', ' ')}) against "
                f"{count} of your organisation's {'record' if count == 1 else 'records'}. "
                "Where people agreed to hear back, you can tell them what happened.\n\n"
                f"Read it:\n{HUB_URL}/portal/outcomes\n"
            ),
            kind=preferences.OUTCOME_RECORDED,
            organisation_id=admin.organisation_id,
            now=now,
        )
    return len(admins)
