"""Webhook endpoints cannot aim the hub at its own network (server-side request forgery).

With ``HUB_WEBHOOK_ALLOW_PRIVATE`` off (the default) an endpoint naming a private, loopback or
link-local address is refused at registration, and a delivery whose host resolves to one is
never sent. The suite's own receivers listen on loopback, so tests/conftest.py turns it on and
these tests turn it off again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.actor import Actor
from hub.context import HubContext
from hub.exchange.webhook_rules import PRIVATE_TARGET, url_problem
from hub.exchange.webhooks import deliver_pending, enqueue, register_endpoint
from hub.jobs.runner import run_job
from tests.integration.test_webhooks import receiver  # noqa: F401 - a fixture

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HUB_SECRET = "test-hub-secret"

INTERNAL = [
    "http://127.0.0.1:8000/hook",
    "http://127.1.2.3/hook",
    "http://localhost/hook",
    "http://api.localhost./hook",
    "http://10.0.0.5/hook",
    "http://172.16.8.1/hook",
    "http://192.168.1.10:8080/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "https://224.0.0.1/hook",
]
PUBLIC = [
    "https://partner.example/hooks/hub",
    "https://93.184.215.14/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://hooks.localhost-partner.org/x",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_unless_allowed(url):
    assert url_problem(url) == PRIVATE_TARGET
    assert url_problem(url, allow_private=True) is None


@pytest.mark.parametrize("url", PUBLIC)
def test_public_addresses_and_names_are_accepted(url):
    assert url_problem(url) is None


def test_the_api_refuses_a_cloud_metadata_address_with_a_problem(make_app, make_party, get_token):
    client = make_app(webhook_allow_private=False).test_client()
    party = make_party("charity")
    headers = {"Authorization": f"Bearer {get_token(party)}"}
    refused = client.post(
        "/api/v1/webhooks",
        json={"url": "http://169.254.169.254/latest", "events": ["dataset.released"]},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"] == {"url": [PRIVATE_TARGET]}
    accepted = client.post(
        "/api/v1/webhooks",
        json={"url": "https://partner.example/hooks", "events": ["dataset.released"]},
        headers=headers,
    )
    assert accepted.status_code == 201


def _actor(org) -> Actor:
    return Actor(kind="client", id="hub_test", organisation_id=org.id, organisation_kind=org.kind)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_delivery_to_a_host_that_resolves_inside_is_never_sent(
    receiver,  # noqa: F811
    make_org,
    db_session,
    session_factory,
    host,
):
    org = make_org("charity")
    # Registered while private targets were allowed (or a name that later resolved inside).
    register_endpoint(
        db_session,
        _actor(org),
        url=receiver.url.replace("127.0.0.1", host),
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
        allow_private=True,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()

    refused = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW, allow_private=False)
    assert (refused.delivered, refused.retrying) == (0, 1)
    assert receiver.received == []

    later = NOW.replace(year=2027)
    allowed = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=later, allow_private=True)
    assert allowed.delivered == 1
    assert len(receiver.received) == 1


def test_the_webhooks_job_follows_the_setting(
    receiver,  # noqa: F811
    settings,
    engine,
    session_factory,
    make_org,
    db_session,
):
    org = make_org("charity")
    register_endpoint(
        db_session,
        _actor(org),
        url=receiver.url,
        events=["outcome.created"],
        hub_secret=settings.secret_key,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()
    strict = HubContext(
        settings=settings.replace(webhook_allow_private=False),
        engine=engine,
        session_factory=session_factory,
    )
    run = run_job(strict, "webhooks", now=NOW)
    assert run.stats == {"delivered": 0, "retrying": 1, "failed": 0}
    assert receiver.received == []
