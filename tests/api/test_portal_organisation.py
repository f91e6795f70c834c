"""Your organisation (a partner's admin): the agreement, users (role, deactivation), API clients
(created within the organisation's scopes, secret shown once, rotated, revoked, last used) and
webhooks (registered, tested, recent deliveries); every change audited."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.notify.models import WebhookDelivery, WebhookEndpoint
from hub.identity.models import PortalUser
from tests.api.test_portal_upload import signed_in, token

PAGE = "/portal/organisation"
SECRET = re.compile(r'<dd class="govuk-summary-list__value hub-code hub-break">([^<]+)</dd>')


@pytest.fixture
def org(make_org):
    return make_org(
        "charity",
        name="Riverside Mind",
        conditions=["mental-health", "dementia"],
        valid_from=date(2025, 4, 1),
        valid_to=date(2030, 3, 31),
    )


@pytest.fixture
def admin(make_user, org):
    return make_user("admin", org=org)


def post(portal, path, **data):
    return portal.post(path, data={"csrf_token": token(portal, PAGE), **data})


def events(db_session, action):
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def oauth(client, client_id, secret):
    return client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def test_the_agreement_and_the_people_are_shown(app, admin, make_user, org):
    colleague = make_user("uploader", org=org)
    outsider = make_user("uploader")

    html = signed_in(app, admin).get(PAGE).get_data(as_text=True)

    # Condition areas by their labels, not their codes.
    assert "Dementia, Mental health" in html
    assert "mental-health" not in html
    assert "From 1 April 2025 to 31 March 2030" in html
    assert colleague.email in html and admin.email in html
    assert outsider.email not in html
    assert "Invite someone by email" in html


def test_change_a_role_then_deactivate(app, admin, make_user, org, db_session):
    colleague = make_user("uploader", org=org)
    portal = signed_in(app, admin)

    changed = post(portal, f"/portal/organisation/users/{colleague.id}/role", role="admin")
    assert changed.status_code == 302
    gone = post(portal, f"/portal/organisation/users/{colleague.id}/deactivate")
    assert gone.status_code == 302

    db_session.expire_all()
    user = db_session.get(PortalUser, colleague.id)
    assert user.role == "admin" and user.deactivated_at is not None
    assert [e.actor for e in events(db_session, "user.role_changed")] == [f"user:{admin.id}"]
    assert len(events(db_session, "user.deactivated")) == 1
    assert "Deactivated" in portal.get(PAGE).get_data(as_text=True)


def test_mistakes_and_other_organisations_users(app, admin, make_user, db_session):
    portal = signed_in(app, admin)
    outsider = make_user("uploader")

    wrong_role = post(portal, f"/portal/organisation/users/{outsider.id}/role", role="admin")
    assert wrong_role.status_code == 404
    assert post(portal, f"/portal/organisation/users/{outsider.id}/deactivate").status_code == 404
    own = post(portal, f"/portal/organisation/users/{admin.id}/role", role="uploader")
    assert own.status_code == 400
    assert "You cannot change your own role" in own.get_data(as_text=True)
    myself = post(portal, f"/portal/organisation/users/{admin.id}/deactivate")
    assert myself.status_code == 400
    assert "You cannot deactivate yourself" in myself.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(PortalUser, outsider.id).deactivated_at is None


def test_a_client_within_the_organisations_scopes_shown_once_rotated_and_revoked(
    app, client, admin, db_session
):
    portal = signed_in(app, admin)
    refused = post(portal, "/portal/organisation/clients", scopes=["regulator:read"])
    assert refused.status_code == 400
    assert "cannot hold: regulator:read" in refused.get_data(as_text=True)
    assert post(portal, "/portal/organisation/clients").status_code == 400

    created = post(
        portal, "/portal/organisation/clients", name="Case system", scopes=["experiences:write"]
    )

    assert created.status_code == 200
    client_id, secret = SECRET.findall(created.get_data(as_text=True))
    assert secret not in portal.get(PAGE).get_data(as_text=True)
    got = oauth(client, client_id, secret)
    assert got.status_code == 200
    assert got.get_json()["scope"] == "experiences:write"
    page = portal.get(PAGE).get_data(as_text=True)
    assert "Case system" in page and "Never" not in page.split(client_id, 1)[1].split("</tr>")[0]

    rotated = post(portal, f"/portal/organisation/clients/{client_id}/rotate")
    _, new_secret = SECRET.findall(rotated.get_data(as_text=True))
    assert oauth(client, client_id, secret).status_code == 401
    assert oauth(client, client_id, new_secret).status_code == 200

    revoked = post(portal, f"/portal/organisation/clients/{client_id}/revoke")
    assert revoked.status_code == 302
    assert oauth(client, client_id, new_secret).status_code != 200
    assert [len(events(db_session, a)) for a in ("client.created", "client.secret_rotated")] == [
        1,
        1,
    ]
    assert events(db_session, "client.disabled")[0].actor == f"user:{admin.id}"


def test_another_organisations_client_cannot_be_touched(app, admin, make_party):
    other = make_party("charity")
    portal = signed_in(app, admin)
    assert post(portal, f"/portal/organisation/clients/{other.client_id}/rotate").status_code == 404
    assert post(portal, f"/portal/organisation/clients/{other.client_id}/revoke").status_code == 404


def test_a_webhook_registered_tested_and_its_deliveries_shown(app, admin, db_session):
    portal = signed_in(app, admin)
    bad = post(portal, "/portal/organisation/webhooks", url="ftp://x", events=["outcome.created"])
    assert bad.status_code == 400
    assert "There is a problem" in bad.get_data(as_text=True)

    made = post(
        portal,
        "/portal/organisation/webhooks",
        url="https://hooks.example.org/hub",
        events=["outcome.created", "dataset.released"],
    )

    assert made.status_code == 200
    url, secret = SECRET.findall(made.get_data(as_text=True))
    assert url == "https://hooks.example.org/hub" and secret.startswith("whsec_")
    page = portal.get(PAGE).get_data(as_text=True)
    assert secret not in page
    endpoint_id = re.search(r"/portal/organisation/webhooks/([0-9a-f-]{36})/test", page).group(1)
    tested = post(portal, f"/portal/organisation/webhooks/{endpoint_id}/test")
    assert tested.status_code == 302
    [queued] = db_session.scalars(sa.select(WebhookDelivery)).all()
    assert queued.event == "webhook.test" and queued.endpoint_id == uuid.UUID(endpoint_id)
    assert len(events(db_session, "webhook.test_sent")) == 1
    assert "webhook.test" in portal.get(PAGE).get_data(as_text=True)


def test_a_webhook_deleted_after_a_confirmation_step(app, admin, make_user, db_session):
    portal = signed_in(app, admin)
    post(
        portal,
        "/portal/organisation/webhooks",
        url="https://hooks.example.org/hub",
        events=["outcome.created"],
    )
    page = portal.get(PAGE).get_data(as_text=True)
    path = re.search(r"/portal/organisation/webhooks/[0-9a-f-]{36}/delete", page).group(0)
    endpoint_id = uuid.UUID(path.split("/")[-2])
    post(portal, f"/portal/organisation/webhooks/{endpoint_id}/test")

    asked = portal.get(path)
    assert asked.status_code == 200
    question = asked.get_data(as_text=True)
    assert "Stop sending events to this address?" in question
    assert "https://hooks.example.org/hub" in question
    # Without its CSRF token the button does nothing; another organisation's admin finds nothing.
    assert portal.post(path).status_code == 400
    outsider = signed_in(app, make_user("admin"))
    assert outsider.get(path).status_code == 404
    assert post(outsider, path).status_code == 404
    assert db_session.get(WebhookEndpoint, endpoint_id).deleted_at is None

    deleted = portal.post(path, data={"csrf_token": token(portal, path)})
    assert deleted.status_code == 302
    assert deleted.headers["Location"].endswith("/portal/organisation#webhooks")
    after = portal.get(PAGE).get_data(as_text=True)
    assert "The hub no longer sends events to https://hooks.example.org/hub." in after
    assert path not in after
    db_session.expire_all()
    assert db_session.get(WebhookEndpoint, endpoint_id).deleted_at is not None
    [queued] = db_session.scalars(sa.select(WebhookDelivery)).all()
    assert (queued.status, queued.last_error) == ("failed", "endpoint deleted")
    [event] = events(db_session, "webhook.deleted")
    assert event.object_id == str(endpoint_id) and event.actor == f"user:{admin.id}"
    assert portal.get(path).status_code == 404


def test_a_post_without_its_csrf_token_changes_nothing(app, admin, make_user, org, db_session):
    colleague = make_user("uploader", org=org)
    portal = signed_in(app, admin)
    answer = portal.post(f"/portal/organisation/users/{colleague.id}/deactivate")
    assert answer.status_code == 400
    assert events(db_session, "user.deactivated") == []


def test_client_and_webhook_mistakes_are_said_beside_the_field_and_linked_from_the_summary(
    app, admin
):
    portal = signed_in(app, admin)
    cases = [
        ("/portal/organisation/clients", {}, "scopes", "#scope-1"),
        ("/portal/organisation/clients", {"name": "x" * 201}, "client_name", "#client-name"),
        ("/portal/organisation/clients", {"scopes": ["regulator:read"]}, "scopes", "#scope-1"),
        (
            "/portal/organisation/webhooks",
            {"events": ["outcome.created"]},
            "webhook_url",
            "#webhook-url",
        ),
        (
            "/portal/organisation/webhooks",
            {"url": "ftp://x", "events": ["outcome.created"]},
            "webhook_url",
            "#webhook-url",
        ),
        (
            "/portal/organisation/webhooks",
            {"url": "https://hooks.example.org/hub"},
            "webhook_events",
            "#event-1",
        ),
    ]
    for path, fields, field, anchor in cases:
        answer = post(portal, path, **fields)

        html = answer.get_data(as_text=True)
        assert answer.status_code == 400, fields
        summary = html.split("govuk-error-summary__list")[1].split("</ul>")[0]
        assert re.findall(r'<a href="([^"]+)">', summary) == [anchor], fields
        said = re.findall(rf'<p class="govuk-error-message" id="{field}-error">', html)
        assert len(said) == 1, fields
    # The address typed is kept, to be corrected rather than typed again.
    kept = post(portal, "/portal/organisation/webhooks", url="ftp://x", events=["outcome.created"])
    assert 'value="ftp://x"' in kept.get_data(as_text=True)


def test_a_refused_form_comes_back_with_the_boxes_the_user_ticked(app, admin):
    portal = signed_in(app, admin)
    ticked = re.compile(r'<input class="govuk-checkboxes__input" [^>]*value="([^"]+)" checked>')

    webhook = post(
        portal,
        "/portal/organisation/webhooks",
        url="ftp://x",
        events=["outcome.created", "submission.completed"],
    )
    assert webhook.status_code == 400
    html = webhook.get_data(as_text=True)
    assert sorted(ticked.findall(html)) == ["outcome.created", "submission.completed"]

    client = post(
        portal, "/portal/organisation/clients", name="x" * 201, scopes=["experiences:write"]
    )
    assert client.status_code == 400
    html = client.get_data(as_text=True)
    assert ticked.findall(html) == ["experiences:write"]
    assert 'value="' + "x" * 201 + '"' in html

    # A page not answering a refused form ticks nothing.
    assert ticked.findall(portal.get(PAGE).get_data(as_text=True)) == []


def test_section_messages_end_as_gov_uk_error_messages_do_without_a_full_stop(app, admin):
    portal = signed_in(app, admin)
    refused = [
        post(portal, f"/portal/organisation/users/{admin.id}/role", role="uploader"),
        post(portal, "/portal/organisation/clients", scopes=["regulator:read"]),
        post(portal, "/portal/organisation/webhooks", url="ftp://x", events=["outcome.created"]),
    ]
    said = []
    for answer in refused:
        assert answer.status_code == 400
        html = answer.get_data(as_text=True)
        summary = html.split("govuk-error-summary__list")[1].split("</ul>")[0]
        said += re.findall(r'<a href="[^"]+">([^<]+)</a>', summary)
        said += re.findall(r'class="govuk-error-message"[^>]*>.*?</span>\s*([^<]+)</p>', html)
    assert "You cannot change your own role. Ask another administrator" in said
    assert len(said) >= 2 * len(refused)
    assert [s for s in said if s.strip().endswith(".")] == []
