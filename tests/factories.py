"""Factories for organisations, clients and tokens (a pytest plugin: fixtures return builders)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.actor import system
from hub.identity import services as identity
from hub.identity.models import SCOPES_BY_KIND, Organisation, PortalUser

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


def register_webhook(client: FlaskClient, headers: dict[str, str], events: list[str]) -> str:
    """``POST /api/v1/webhooks`` for ``events`` to a receiver that is never called; its id."""
    response = client.post(
        "/api/v1/webhooks",
        json={"url": "https://receiver.example/hook", "events": events},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    endpoint_id: str = response.get_json()["id"]
    return endpoint_id


def experience_record(**overrides: Any) -> dict[str, Any]:
    """A valid experience record (CONTRACT §4); a key set to ``...`` is left out."""
    base: dict[str, Any] = {
        "partner_record_id": f"rec-{uuid.uuid4().hex[:12]}",
        "location_id": "1-000000001",
        "service_type": "mental-health-inpatient",
        "experience_date": (date.today() - timedelta(days=40)).isoformat(),
        "respondent_role": "patient",
        "collection_channel": "online",
        "overall_experience": 4,
        "sentiment": "negative",
        "key_questions": ["safe", "caring"],
        "condition_areas": ["mental-health"],
        "themes": ["staff-attitude", "communication"],
        "narrative": "The staff on the ward were kind but nobody explained my medication.",
        "safeguarding": {"concern": False, "immediate_risk": False, "categories": []},
        "equality": {
            "age_band": "65-74",
            "sex": "female",
            "ethnic_group": "black",
            "disability": "yes",
        },
        "consent": {
            "scopes": ["regulator_use", "publish_anonymised", "feedback", "equality_monitoring"],
            "obtained_at": (date.today() - timedelta(days=30)).isoformat() + "T10:00:00Z",
            "method": "online",
            "lawful_basis": "consent",
            "notice_version": "mind-privacy-v3",
        },
    }
    for key, value in overrides.items():
        if value is ...:
            base.pop(key, None)
        else:
            base[key] = value
    return base


@pytest.fixture
def make_record() -> Callable[..., dict[str, Any]]:
    """Builds valid experience records; keyword arguments replace (or, with ``...``, drop) keys."""
    return experience_record


@pytest.fixture
def make_location(db_session: Session) -> Callable[..., Any]:
    """Adds a registry location; ``predecessor`` links it as the re-registration of that id."""
    from hub.registry.models import Location, LocationRelationship

    def factory(
        location_id: str,
        *,
        name: str = "Riverside Ward",
        postcode: str = "SW1A 1AA",
        status: str = "Registered",
        predecessor: str | None = None,
    ) -> Location:
        loc = Location(
            id=location_id,
            name=name,
            name_search=name.lower(),
            postcode=postcode,
            registration_status=status,
            service_types=[],
            regulated_activities=[],
            inspection_categories=[],
        )
        db_session.add(loc)
        db_session.flush()
        if predecessor is not None:
            db_session.add(
                LocationRelationship(
                    location_id=location_id,
                    related_location_id=predecessor,
                    type="HSCA Predecessor",
                )
            )
        db_session.commit()
        return loc

    return factory


PORTAL_PASSWORD = "a long enough passphrase"


@pytest.fixture
def make_user(
    db_session: Session, make_org: Callable[..., Organisation]
) -> Callable[..., PortalUser]:
    """Adds a portal user with ``role`` in a new organisation of ``kind`` (or in ``org``)."""

    def factory(
        role: str = "uploader", kind: str = "charity", org: Organisation | None = None
    ) -> PortalUser:
        user = identity.create_user(
            db_session,
            ACTOR,
            organisation_id=(org or make_org(kind)).id,
            email=f"{role}-{uuid.uuid4().hex[:8]}@example.org",
            password=PORTAL_PASSWORD,
            role=role,
        )
        db_session.commit()
        return user

    return factory
