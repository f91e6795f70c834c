"""Partners (the regulator's admin): create a partner with its agreement, record another,
suspend and reinstate, its clients and users, and every partner at a glance; audited, and
closed to everyone else (a partner's admin included)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.identity.models import Agreement, Organisation, PortalUser
from tests.api.test_portal_upload import signed_in, token

PAGE = "/portal/partners"
SECRET = re.compile(r'<dd class="govuk-summary-list__value hub-code hub-break">([^<]+)</dd>')


@pytest.fixture
def reg_admin(make_user):
    return make_user("admin", kind="regulator")


def create_form(portal, **changes):
    data = {
        "csrf_token": token(portal, PAGE),
        "name": "Hillside Carers",
        "kind": "community_group",
        "condition_areas": ["dementia", "mental-health"],
        "valid_from": ["1", "4", "2026"],
        "valid_to": ["31", "3", "2029"],
        "lawful_basis_note": "UK GDPR Article 6(1)(e) and 9(2)(h).",
    }
    data.update(changes)
    return data


def events(db_session, action):
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_create_a_partner_with_its_agreement_then_suspend_and_reinstate(app, reg_admin, db_session):
    portal = signed_in(app, reg_admin)

    made = portal.post(PAGE, data=create_form(portal))

    assert made.status_code == 302, made.get_data(as_text=True)
    org = db_session.scalars(
        sa.select(Organisation).where(Organisation.name == "Hillside Carers")
    ).one()
    assert org.kind == "community_group"
    [agreement] = db_session.scalars(
        sa.select(Agreement).where(Agreement.organisation_id == org.id)
    ).all()
    assert agreement.condition_areas == ["dementia", "mental-health"]
    assert (agreement.valid_from, agreement.valid_to) == (date(2026, 4, 1), date(2029, 3, 31))
    assert agreement.lawful_basis_note == "UK GDPR Article 6(1)(e) and 9(2)(h)."
    [created] = [
        e for e in events(db_session, "organisation.created") if e.object_id == str(org.id)
    ]
    assert created.actor == f"user:{reg_admin.id}"
    detail = portal.get(made.headers["Location"]).get_data(as_text=True)
    assert "UK GDPR Article 6(1)(e) and 9(2)(h)." in detail
    assert "Hillside Carers" in portal.get(PAGE).get_data(as_text=True)

    path = f"/portal/partners/{org.id}/suspension"
    assert (
        portal.post(path, data={"csrf_token": token(portal, PAGE), "suspend": "yes"}).status_code
        == 302
    )
    db_session.refresh(org)
    assert org.suspended_at is not None
    assert "Suspended" in portal.get(PAGE).get_data(as_text=True)
    assert (
        portal.post(path, data={"csrf_token": token(portal, PAGE), "suspend": "no"}).status_code
        == 302
    )
    db_session.refresh(org)
    assert org.suspended_at is None
    assert len(events(db_session, "organisation.suspended")) == 1
    assert len(events(db_session, "organisation.reinstated")) == 1


def test_mistakes_are_said_in_plain_english(app, reg_admin, make_org, db_session):
    make_org("charity", name="Taken Name")
    portal = signed_in(app, reg_admin)
    cases = [
        ({"name": ""}, "Enter the organisation&#39;s name"),
        ({"name": "Taken Name"}, "already exists"),
        ({"condition_areas": []}, "Choose at least one condition area"),
        ({"condition_areas": ["astrology"]}, "Not condition areas: astrology"),
        ({"valid_to": ["1", "1", "2020"]}, "The agreement cannot end before it starts"),
        ({"valid_from": ["30", "2", "2026"]}, "The date the agreement starts must be a real date"),
        ({"lawful_basis_note": ""}, "Enter the lawful basis"),
        # Not one of the radio buttons (an altered form): said as if none was chosen.
        ({"kind": "regulator"}, "Select what kind of organisation it is"),
    ]
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    for changes, message in cases:
        answer = portal.post(PAGE, data=create_form(portal, **changes))
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400, changes
        assert "There is a problem" in html, changes
        assert message in html, (changes, message)
        assert "Not a valid choice" not in html, changes
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == before


def test_a_new_agreement_clients_and_users_of_a_partner(
    app, client, reg_admin, make_org, make_user, db_session
):
    org = make_org("charity", name="Riverside Mind", conditions=["mental-health"])
    volunteer = make_user("uploader", org=org)
    portal = signed_in(app, reg_admin)
    base = f"/portal/partners/{org.id}"

    agreed = portal.post(
        f"{base}/agreements",
        data={
            "csrf_token": token(portal, base),
            "condition_areas": ["cancer"],
            "valid_from": ["1", "1", "2026"],
            "lawful_basis_note": "Renewed.",
        },
    )
    assert agreed.status_code == 302
    assert "Renewed." in portal.get(base).get_data(as_text=True)

    refused = portal.post(
        f"{base}/clients", data={"csrf_token": token(portal, base), "scopes": "audit:read"}
    )
    assert refused.status_code == 400
    assert "cannot hold: audit:read" in refused.get_data(as_text=True)
    made = portal.post(
        f"{base}/clients",
        data={"csrf_token": token(portal, base), "scopes": "experiences:write"},
    )
    client_id, secret = SECRET.findall(made.get_data(as_text=True))
    got = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert got.status_code == 200
    revoked = portal.post(
        f"{base}/clients/{client_id}/revoke", data={"csrf_token": token(portal, base)}
    )
    assert revoked.status_code == 302

    gone = portal.post(
        f"{base}/users/{volunteer.id}/deactivate", data={"csrf_token": token(portal, base)}
    )
    assert gone.status_code == 302
    db_session.expire_all()
    assert db_session.get(PortalUser, volunteer.id).deactivated_at is not None
    assert [len(events(db_session, a)) for a in ("client.disabled", "user.deactivated")] == [1, 1]


def test_a_partners_admin_runs_no_partners_and_the_regulator_is_no_partner(
    app, reg_admin, make_user, make_org
):
    partner_admin = signed_in(app, make_user("admin"))
    assert partner_admin.get(PAGE).status_code == 403
    assert "Partners" not in partner_admin.get("/portal").get_data(as_text=True)
    regulator = make_org("regulator")
    portal = signed_in(app, reg_admin)
    assert portal.get(f"/portal/partners/{regulator.id}").status_code == 404
    assert 'href="/portal/partners"' in portal.get("/portal").get_data(as_text=True)


def test_a_post_without_its_csrf_token_creates_nothing(app, reg_admin, db_session):
    portal = signed_in(app, reg_admin)
    data = create_form(portal)
    del data["csrf_token"]
    assert portal.post(PAGE, data=data).status_code == 400
    assert (
        db_session.scalars(
            sa.select(Organisation).where(Organisation.name == "Hillside Carers")
        ).all()
        == []
    )


def test_a_partners_client_is_disabled_from_its_own_page_only(
    app, client, reg_admin, make_party, make_user, db_session, get_token
):
    """The page's button is ``hub clients disable``: audited, the client's token stops at once;
    through another partner's page it finds nothing, and neither does a user of another."""
    mine, theirs = make_party("charity"), make_party("healthwatch")
    their_user = make_user("uploader")
    held = get_token(mine)
    portal = signed_in(app, reg_admin)
    wrong_page = f"{PAGE}/{theirs.org.id}"
    crossed = portal.post(
        f"{wrong_page}/clients/{mine.client_id}/revoke",
        data={"csrf_token": token(portal, wrong_page)},
    )
    assert crossed.status_code == 404
    crossed_user = portal.post(
        f"{wrong_page}/users/{their_user.id}/deactivate",
        data={"csrf_token": token(portal, wrong_page)},
    )
    assert crossed_user.status_code == 404
    assert (
        client.get("/api/v1/experiences", headers={"Authorization": f"Bearer {held}"}).status_code
        == 200
    )
    assert events(db_session, "client.disabled") == []
    assert events(db_session, "user.deactivated") == []

    page = f"{PAGE}/{mine.org.id}"
    assert mine.client_id in portal.get(page).get_data(as_text=True)
    disabled = portal.post(
        f"{page}/clients/{mine.client_id}/revoke", data={"csrf_token": token(portal, page)}
    )
    assert disabled.status_code == 302
    assert "its tokens no longer work" in portal.get(page).get_data(as_text=True)
    answer = client.get("/api/v1/experiences", headers={"Authorization": f"Bearer {held}"})
    assert answer.status_code == 401
    [event] = events(db_session, "client.disabled")
    assert event.object_id == mine.client_id and event.actor == f"user:{reg_admin.id}"


def test_condition_areas_are_shown_by_their_labels(app, reg_admin, make_org):
    org = make_org("charity", name="Riverside Mind", conditions=["mental-health", "end-of-life"])
    portal = signed_in(app, reg_admin)

    listing = portal.get(PAGE).get_data(as_text=True)
    partner = portal.get(f"{PAGE}/{org.id}").get_data(as_text=True)

    for html in (listing, partner):
        assert "End of life, Mental health" in html
        assert "end-of-life, mental-health" not in html
    # The agreement's checkboxes are labelled too; what they send is still the code.
    checkboxes = re.findall(
        r'value="([^"]+)"[^>]*>\s*<label class="govuk-label govuk-checkboxes__label"[^>]*>'
        r"\s*([^<]+?)\s*</label>",
        listing,
    )
    assert ("mental-health", "Mental health") in checkboxes
    assert ("learning-disability-autism", "Learning disability and autism") in checkboxes


def test_a_client_form_mistake_is_said_beside_the_choices_and_in_the_summary(
    app, reg_admin, make_org
):
    org = make_org("charity", name="Riverside Mind")
    portal = signed_in(app, reg_admin)
    base = f"{PAGE}/{org.id}"
    cases = [
        ({}, "Choose at least one thing the client may do"),
        ({"scopes": "audit:read"}, "cannot hold: audit:read"),
    ]
    for fields, message in cases:
        answer = portal.post(f"{base}/clients", data={"csrf_token": token(portal, base), **fields})

        html = answer.get_data(as_text=True)
        assert answer.status_code == 400
        assert "<title>Error: Riverside Mind" in html
        summary = html.split("govuk-error-summary__list")[1].split("</ul>")[0]
        [(href, words)] = re.findall(r'<a href="([^"]+)">([^<]*)</a>', summary)
        assert href == "#scope-1"  # the first of the choices
        assert message in words
        assert re.search(
            r'<p class="govuk-error-message" id="scopes-error">'
            r'<span class="govuk-visually-hidden">Error:</span> [^<]*' + re.escape(message),
            html,
        )
        assert "govuk-notification-banner" not in html


def test_the_error_summary_lists_mistakes_in_the_order_the_page_asks(app, reg_admin):
    portal = signed_in(app, reg_admin)

    answer = portal.post(PAGE, data={"csrf_token": token(portal, PAGE)})

    summary = answer.get_data(as_text=True).split("govuk-error-summary__list")[1]
    links = re.findall(r'<a href="([^"]+)">', summary.split("</ul>")[0])
    assert links == ["#name", "#kind", "#valid_from-day", "#lawful_basis_note"]
