"""Factories for organisations, clients and tokens (a pytest plugin: fixtures return builders)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.actor import system
from hub.identity import services as identity
from hub.identity.models import SCOPES_BY_KIND, Organisation

ACTOR = system("tests")


@dataclass
class Party:
    """An organisation with one OAuth client, as a test talks to the API through it."""

    org: Organisation
    client_id: str
    client_secret: str
    scopes: list[str]

    @property
    def id(self) -> uuid.UUID:
        return self.org.id


@pytest.fixture
def make_org(db_session: Session) -> Callable[..., Organisation]:
    def factory(
        kind: str = "charity",
        *,
        name: str | None = None,
        conditions: list[str] | None = None,
        valid_from: date | None = None,
        valid_to: date | None = None,
    ) -> Organisation:
        org = identity.create_organisation(
            db_session,
            ACTOR,
            name=name or f"{kind.title()} {uuid.uuid4().hex[:8]}",
            kind=kind,
            condition_areas=conditions if conditions is not None else ["mental-health"],
            valid_from=valid_from or date(2020, 1, 1),
            valid_to=valid_to,
        )
        db_session.commit()
        return org

    return factory


@pytest.fixture
def make_party(db_session: Session, make_org: Callable[..., Organisation]) -> Callable[..., Party]:
    def factory(
        kind: str = "charity", *, scopes: list[str] | None = None, **org_kwargs: Any
    ) -> Party:
        org = make_org(kind, **org_kwargs)
        chosen = scopes if scopes is not None else sorted(SCOPES_BY_KIND[kind])
        new = identity.create_client(db_session, ACTOR, organisation_id=org.id, scopes=chosen)
        db_session.commit()
        return Party(org, new.client.client_id, new.client_secret, chosen)

    return factory


@pytest.fixture
def get_token(client: FlaskClient) -> Callable[..., str]:
    def factory(party: Party, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        response = client.post(
            "/oauth/token", data=data, auth=(party.client_id, party.client_secret)
        )
        assert response.status_code == 200, response.get_json()
        token: str = response.get_json()["access_token"]
        return token

    return factory


@pytest.fixture
def auth_headers(get_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def factory(party: Party, scope: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {get_token(party, scope)}"}

    return factory
