"""Who an audit actor is, in words: ``user:<id>`` is a person's e-mail address, ``client:<id>``
an API client's name and organisation, ``system:<job>`` the hub itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.identity.models import OAuthClient, Organisation, PortalUser


def actor_names(session: Session, labels: Iterable[str]) -> dict[str, str]:
    """Each actor label (as the audit log writes it) with the words a person reads."""
    users: dict[uuid.UUID, str] = {}
    clients: set[str] = set()
    out: dict[str, str] = {}
    for label in set(labels):
        kind, _, ident = label.partition(":")
        if kind == "user":
            try:
                users[uuid.UUID(ident)] = label
            except ValueError:
                out[label] = "Someone not signed in" if ident == "anonymous" else label
        elif kind == "client":
            clients.add(ident)
        elif kind == "system":
            out[label] = f"The hub ({ident.replace('-', ' ').replace('_', ' ')})"
        else:
            out[label] = label
    if users:
        for user_id, email in session.execute(
            sa.select(PortalUser.id, PortalUser.email).where(PortalUser.id.in_(users))
        ):
            out[users[user_id]] = email
    if clients:
        rows = session.execute(
            sa.select(OAuthClient.client_id, OAuthClient.name, Organisation.name)
            .join(Organisation, Organisation.id == OAuthClient.organisation_id)
            .where(OAuthClient.client_id.in_(clients))
        )
        for client_id, name, organisation in rows:
            out[f"client:{client_id}"] = name or f"API client of {organisation}"
    for label in labels:
        out.setdefault(label, label)
    return out
