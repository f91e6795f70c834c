"""A token works only while its client is enabled and its organisation not suspended; a partner
whose agreement has lapsed exchanges nothing (issue: disabled clients kept working)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from unittest.mock import patch

import sqlalchemy as sa

from hub.actor import system
from hub.audit.models import AuditEvent
from hub.identity import services as identity
from hub.identity.models import OAuthClient
from tests.factories import experience_record

HOOK = {"url": "https://partner.example/hooks/hub", "events": ["dataset.released"]}
ACTOR = system("tests")
READ = "/api/v1/experiences"
WRITE = "/api/v1/experiences"


def _introspect(client, party, token):
    answer = client.post(
        "/oauth/introspect", data={"token": token}, auth=(party.client_id, party.client_secret)
    )
    return answer


def test_a_disabled_clients_token_stops_working_at_once(client, make_party, get_token, db_session):
    party = make_party("charity")
    other = make_party("charity")  # another client of another organisation, unaffected
    token = get_token(party)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(READ, headers=headers).status_code == 200
    assert _introspect(client, party, token).get_json()["active"] is True

    identity.disable_client(db_session, ACTOR, party.client_id)
    db_session.commit()

    for answer in (
        client.get(READ, headers=headers),
        client.post(WRITE, json=experience_record(), headers=headers),
    ):
        assert answer.status_code == 401
        assert answer.get_json()["code"] == "invalid-token"
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    refused = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(party.client_id, party.client_secret),
    )
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "invalid_client"
    # Its own introspection is refused, and to another client's eyes it is not active.
    assert _introspect(client, party, token).status_code == 401
    other_token = get_token(other)
    assert client.get(READ, headers={"Authorization": f"Bearer {other_token}"}).status_code == 200

    audit = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "client.disabled")
    ).one()
    assert (audit.object_id, audit.organisation_id) == (party.client_id, party.id)


def test_an_auditor_introspecting_a_disabled_clients_token_sees_it_inactive(
    client, make_party, get_token, db_session
):
    party, auditor = make_party("charity"), make_party("auditor")
    token = get_token(party)
    assert _introspect(client, auditor, token).get_json()["active"] is True
    identity.disable_client(db_session, ACTOR, party.client_id)
    db_session.commit()
    assert _introspect(client, auditor, token).get_json() == {"active": False}


def test_a_suspended_organisations_tokens_stop_until_reinstated(
    client, make_party, get_token, db_session
):
    party = make_party("healthwatch")
    token = get_token(party)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(READ, headers=headers).status_code == 200  # the process knows the token
    identity.set_suspended(db_session, ACTOR, party.id, True)
    db_session.commit()
    answer = client.get(READ, headers=headers)
    assert answer.status_code == 401 and answer.get_json()["code"] == "invalid-token"
    refused = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(party.client_id, party.client_secret),
    )
    assert refused.status_code == 401

    identity.set_suspended(db_session, ACTOR, party.id, False)
    db_session.commit()
    assert client.get(READ, headers=headers).status_code == 200
    actions = db_session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.organisation_id == party.id)
        .where(AuditEvent.action.like("organisation.%"))
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == ["organisation.created", "organisation.suspended", "organisation.reinstated"]


def test_a_token_revoked_just_after_use_stops_at_once(client, make_party, get_token, db_session):
    party = make_party("charity")
    token = get_token(party)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(READ, headers=headers).status_code == 200
    found = identity.find_token(db_session, token)
    assert found is not None
    identity.revoke_token(db_session, ACTOR, found)
    db_session.commit()
    answer = client.get(READ, headers=headers)
    assert answer.status_code == 401 and answer.get_json()["code"] == "invalid-token"


def test_a_token_stops_when_it_expires_though_the_process_knows_it(
    client, make_party, get_token, db_session
):
    party = make_party("charity")
    token = get_token(party)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(READ, headers=headers).status_code == 200
    found = identity.find_token(db_session, token)
    assert found is not None
    later = found.expires_at + timedelta(seconds=1)
    with patch("hub.api.auth.utcnow", return_value=later):
        answer = client.get(READ, headers=headers)
    assert answer.status_code == 401 and answer.get_json()["code"] == "invalid-token"


def test_a_lapsed_agreement_registers_no_webhook_and_submits_nothing(
    client, make_party, auth_headers, db_session
):
    lapsed = make_party("charity", valid_from=date(2020, 1, 1), valid_to=date(2021, 1, 1))
    headers = auth_headers(lapsed)
    for path, body in (
        ("/api/v1/webhooks", HOOK),
        ("/api/v1/experiences", experience_record()),
        ("/api/v1/experiences/batch", {"records": [experience_record()]}),
    ):
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == 403, (path, answer.get_json())
        assert answer.get_json()["code"] == "agreement-required"
    # What it sent before stays its own to read.
    assert client.get(READ, headers=headers).status_code == 200
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OAuthClient)) >= 1


def test_hub_clients_disable_and_orgs_suspend(fresh_database_url, tmp_path):
    from click.testing import CliRunner

    from hub.cli import main
    from hub.db import make_engine

    env = {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }

    def run(*args):
        return CliRunner().invoke(main, list(args), env=env)

    org = json.loads(
        run("orgs", "add", "--name", "A Charity", "--kind", "charity", "--json").output
    )
    made = json.loads(
        run("clients", "add", "--org", org["id"], "--scopes", "experiences:read", "--json").output
    )
    disabled = run("clients", "disable", made["client_id"], "--json")
    assert disabled.exit_code == 0, disabled.output
    assert json.loads(disabled.output)["disabled_at"]
    unknown = run("clients", "disable", "hub_nobody")
    assert unknown.exit_code == 1 and "No such client" in unknown.output
    suspended = run("orgs", "suspend", org["id"], "--json")
    assert suspended.exit_code == 0 and json.loads(suspended.output)["suspended_at"]
    reinstated = run("orgs", "reinstate", org["id"], "--json")
    assert reinstated.exit_code == 0 and json.loads(reinstated.output)["suspended_at"] is None

    engine = make_engine(fresh_database_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT disabled_at FROM oauth_clients")).scalar_one()
        actions = conn.execute(
            sa.text(
                "SELECT action FROM audit_events WHERE action IN "
                "('client.disabled', 'organisation.suspended', 'organisation.reinstated') "
                "ORDER BY seq"
            )
        ).scalars()
        assert list(actions) == [
            "client.disabled",
            "organisation.suspended",
            "organisation.reinstated",
        ]
    engine.dispose()
