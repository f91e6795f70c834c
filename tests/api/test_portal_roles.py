"""Every portal page by every role: who gets the page, who gets 403, who is sent to sign in.

The table lists every route under ``/portal`` in the app's URL map; a new page without an entry
fails :func:`test_every_portal_route_is_in_the_table`, so nobody adds a page without deciding
who may see it.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from hub.exchange.records.models import Submission
from hub.identity import services as identity
from tests.api.test_portal_upload import PASSWORD, good, make_csv, post_file, signed_in, token
from tests.factories import ACTOR

LOC = "1-000000001"
CONCERN = {"concern": True, "immediate_risk": False, "categories": ["neglect"]}

# Who is asking: a role in an organisation of a kind. A regulator's admin is not a partner's.
ROLES: dict[str, tuple[str, str]] = {
    "uploader": ("uploader", "charity"),
    "admin": ("admin", "charity"),
    "regulator-admin": ("admin", "regulator"),
    "inspector": ("inspector", "regulator"),
    "engagement": ("engagement", "regulator"),
    "auditor": ("auditor", "auditor"),
}
PARTNER = frozenset({"uploader", "admin"})
REGULATOR = frozenset({"inspector", "engagement"})
AUDITOR = frozenset({"auditor"})
REGULATOR_ADMIN = frozenset({"regulator-admin"})
SIGNED_IN = frozenset(ROLES)


@dataclass(frozen=True)
class Entry:
    """How to ask for a page, who may have it, and what they get."""

    path: Callable[[dict[str, Any]], str]
    roles: frozenset[str]
    method: str = "GET"
    allowed: int = 200
    # For pages with a rule of their own: what each asker gets, overriding the above.
    fixed: dict[str, int] | None = None
    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def _const(path: str) -> Callable[[dict[str, Any]], str]:
    return lambda _world: path


TABLE: dict[str, Entry] = {
    "portal.static": Entry(
        _const("/portal/static/portal.css"),
        SIGNED_IN,
        fixed={"anonymous": 200, **dict.fromkeys(ROLES, 200)},
    ),
    "portal.home": Entry(_const("/portal"), SIGNED_IN),
    # Sends everyone on to /portal, which decides.
    "portal.home_with_slash": Entry(
        _const("/portal/"), SIGNED_IN, fixed={"anonymous": 308, **dict.fromkeys(ROLES, 308)}
    ),
    "portal.sign_in": Entry(
        _const("/portal/sign-in"),
        SIGNED_IN,
        fixed={"anonymous": 200, **dict.fromkeys(ROLES, 302)},
    ),
    "portal.sign_out": Entry(_const("/portal/sign-out"), SIGNED_IN),
    "portal.upload": Entry(_const("/portal/upload"), PARTNER),
    "portal.submissions": Entry(_const("/portal/submissions"), PARTNER),
    "portal.submission": Entry(lambda w: f"/portal/submissions/{w['submission']}", PARTNER),
    "portal.annotated": Entry(
        lambda w: f"/portal/submissions/{w['submission']}/annotated.csv", PARTNER
    ),
    "portal.template_download": Entry(_const("/portal/template.csv"), PARTNER),
    "portal.spreadsheet_help": Entry(_const("/portal/help/spreadsheet"), PARTNER),
    "portal.find_location": Entry(_const("/portal/find-location?q=riverside"), PARTNER),
    "portal.example_download": Entry(_const("/portal/example.csv"), PARTNER),
    "portal.outcomes": Entry(_const("/portal/outcomes"), PARTNER),
    "portal.records": Entry(_const("/portal/records"), PARTNER),
    "portal.find_withdrawal": Entry(_const("/portal/records/withdraw"), PARTNER),
    "portal.withdraw": Entry(lambda w: f"/portal/records/{w['record']}/withdraw", PARTNER),
    "portal.withdrawal": Entry(lambda w: f"/portal/records/{w['withdrawn']}/withdrawal", PARTNER),
    "portal.withdrawal_receipt_file": Entry(
        lambda w: f"/portal/records/{w['withdrawn']}/withdrawal/receipt.json", PARTNER
    ),
    "portal.datasets": Entry(_const("/portal/datasets"), PARTNER),
    "portal.dataset_file": Entry(_const("/portal/datasets/mh-survey/releases/1/file"), PARTNER),
    "portal.new_outcome": Entry(_const("/portal/outcomes/new"), frozenset({"engagement"})),
    "portal.new_release": Entry(_const("/portal/releases/new"), frozenset({"engagement"})),
    "portal.organisation": Entry(_const("/portal/organisation"), frozenset({"admin"})),
    "portal.change_user_role": Entry(
        lambda w: f"/portal/organisation/users/{w['users']['uploader'].id}/role",
        frozenset({"admin"}),
        method="POST",
        allowed=302,
        data=lambda _w: {"role": "uploader"},
    ),
    "portal.deactivate_user": Entry(
        lambda w: f"/portal/organisation/users/{w['users']['uploader'].id}/deactivate",
        frozenset({"admin"}),
        method="POST",
        allowed=302,
    ),
    "portal.create_api_client": Entry(
        _const("/portal/organisation/clients"),
        frozenset({"admin"}),
        method="POST",
        data=lambda _w: {"scopes": "experiences:read"},
    ),
    "portal.rotate_api_client": Entry(
        lambda w: f"/portal/organisation/clients/{w['client_id']}/rotate",
        frozenset({"admin"}),
        method="POST",
    ),
    "portal.revoke_api_client": Entry(
        lambda w: f"/portal/organisation/clients/{w['client_id']}/revoke",
        frozenset({"admin"}),
        method="POST",
        allowed=302,
    ),
    "portal.register_webhook": Entry(
        _const("/portal/organisation/webhooks"),
        frozenset({"admin"}),
        method="POST",
        data=lambda _w: {"url": "https://hooks.example.org/hub", "events": "outcome.created"},
    ),
    "portal.test_webhook": Entry(
        lambda w: f"/portal/organisation/webhooks/{w['endpoint']}/test",
        frozenset({"admin"}),
        method="POST",
        allowed=302,
    ),
    # The confirmation page; its POST deletes (tests/api/test_portal_organisation.py).
    "portal.delete_webhook": Entry(
        lambda w: f"/portal/organisation/webhooks/{w['endpoint']}/delete", frozenset({"admin"})
    ),
    "portal.partners": Entry(_const("/portal/partners"), REGULATOR_ADMIN),
    "portal.partner": Entry(lambda w: f"/portal/partners/{w['partner']}", REGULATOR_ADMIN),
    "portal.partner_agreement": Entry(
        lambda w: f"/portal/partners/{w['partner']}/agreements",
        REGULATOR_ADMIN,
        method="POST",
        allowed=302,
        data=lambda _w: {
            "condition_areas": "mental-health",
            "valid_from": ["1", "4", "2026"],
            "lawful_basis_note": "UK GDPR Article 6(1)(e).",
        },
    ),
    "portal.partner_suspension": Entry(
        lambda w: f"/portal/partners/{w['partner']}/suspension",
        REGULATOR_ADMIN,
        method="POST",
        allowed=302,
        data=lambda _w: {"suspend": "no"},
    ),
    "portal.partner_client": Entry(
        lambda w: f"/portal/partners/{w['partner']}/clients",
        REGULATOR_ADMIN,
        method="POST",
        data=lambda _w: {"scopes": "experiences:read"},
    ),
    "portal.partner_client_revoke": Entry(
        lambda w: f"/portal/partners/{w['partner']}/clients/{w['client_id']}/revoke",
        REGULATOR_ADMIN,
        method="POST",
        allowed=302,
    ),
    "portal.partner_user_deactivate": Entry(
        lambda w: f"/portal/partners/{w['partner']}/users/{w['users']['uploader'].id}/deactivate",
        REGULATOR_ADMIN,
        method="POST",
        allowed=302,
    ),
    "portal.locations": Entry(_const("/portal/locations"), REGULATOR),
    "portal.location": Entry(_const(f"/portal/locations/{LOC}"), REGULATOR),
    "portal.safeguarding": Entry(_const("/portal/safeguarding"), REGULATOR),
    "portal.acknowledge_alert": Entry(
        lambda w: f"/portal/safeguarding/{w['alert']}/acknowledge",
        REGULATOR,
        method="POST",
        allowed=302,
    ),
    "portal.refer_alert": Entry(
        lambda w: f"/portal/safeguarding/{w['alert']}/refer",
        REGULATOR,
        method="POST",
        allowed=302,
        data=lambda _w: {"reason": "Referred to the local authority's adult social care team."},
    ),
    "portal.coverage": Entry(_const("/portal/coverage"), REGULATOR),
    "portal.audit": Entry(_const("/portal/audit"), AUDITOR),
    "portal.audit_chain": Entry(_const("/portal/audit/chain"), AUDITOR),
    "portal.audit_export": Entry(_const("/portal/audit/export.csv"), AUDITOR),
    "portal.audit_partners": Entry(_const("/portal/audit/partners"), AUDITOR),
    "portal.audit_partner": Entry(lambda w: f"/portal/audit/partners/{w['partner']}", AUDITOR),
    "portal.audit_jobs": Entry(_const("/portal/audit/jobs"), AUDITOR),
    "portal.not_found": Entry(
        _const("/portal/no-such-page"),
        SIGNED_IN,
        fixed={"anonymous": 404, **dict.fromkeys(ROLES, 404)},
    ),
    "portal.account": Entry(_const("/portal/account"), SIGNED_IN),
    "portal.password_reset": Entry(
        _const("/portal/password-reset"),
        SIGNED_IN,
        fixed={"anonymous": 200, **dict.fromkeys(ROLES, 200)},
    ),
    # Without a link's token there is nothing to open, for anyone.
    "portal.reset_password": Entry(
        _const("/portal/password-reset/new"),
        SIGNED_IN,
        fixed={"anonymous": 404, **dict.fromkeys(ROLES, 404)},
    ),
    "portal.accept_invitation": Entry(
        _const("/portal/invitation"),
        SIGNED_IN,
        fixed={"anonymous": 404, **dict.fromkeys(ROLES, 404)},
    ),
    # Without a right password first there is no code to enter: back to sign in.
    "portal.sign_in_code": Entry(
        _const("/portal/sign-in/code"),
        SIGNED_IN,
        fixed={"anonymous": 302, **dict.fromkeys(ROLES, 302)},
    ),
    "portal.two_factor": Entry(_const("/portal/account/two-factor"), SIGNED_IN),
    # Without a code the forms are answered again with their errors.
    "portal.enable_two_factor": Entry(
        _const("/portal/account/two-factor"), SIGNED_IN, method="POST", allowed=400
    ),
    "portal.new_recovery_codes": Entry(
        _const("/portal/account/two-factor/recovery-codes"), SIGNED_IN, method="POST", allowed=400
    ),
    "portal.disable_two_factor": Entry(
        _const("/portal/account/two-factor/disable"), SIGNED_IN, method="POST", allowed=400
    ),
    "portal.notifications": Entry(
        _const("/portal/notifications"), frozenset({"admin", "regulator-admin"})
    ),
    "portal.invite_user": Entry(
        _const("/portal/users/invite"), frozenset({"admin", "regulator-admin"})
    ),
    # Without the passwords the form is answered again with its errors.
    "portal.change_password": Entry(
        _const("/portal/account/password"), SIGNED_IN, method="POST", allowed=400
    ),
    # Last: it ends the asker's sessions.
    "portal.sign_out_everywhere": Entry(
        _const("/portal/account/sign-out-everywhere"), SIGNED_IN, method="POST", allowed=302
    ),
}


def expected(entry: Entry, asker: str) -> int:
    if entry.fixed is not None:
        return entry.fixed[asker]
    if asker == "anonymous":
        return 302
    return entry.allowed if asker in entry.roles else 403


def test_every_portal_route_is_in_the_table(app):
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/portal")}
    assert routes - set(TABLE) == set(), "add the new portal pages to TABLE"
    assert set(TABLE) - routes == set(), "TABLE names pages that no longer exist"


@pytest.fixture
def world(app, client, db_session, make_org, make_location, make_party, auth_headers, make_record):
    """One partner (with an uploaded file), a regulator, an auditor; a location with an alert."""
    make_location(LOC)
    db_session.commit()
    partner = make_party("charity", name="Riverside Mind")
    published = client.post(
        "/api/v1/datasets/mh-survey/releases",
        data={
            "file": (io.BytesIO(b"trust,score\nXA1,86\n"), "mh.csv"),
            "title": "Mental health survey",
            "condition_area": "mental-health",
        },
        headers=auth_headers(make_party("regulator")),
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()
    orgs = {
        "charity": partner.org,
        "regulator": make_org("regulator"),
        "auditor": make_org("auditor"),
    }
    users = {}
    for asker, (role, kind) in ROLES.items():
        users[asker] = identity.create_user(
            db_session,
            ACTOR,
            organisation_id=orgs[kind].id,
            email=f"{asker}-{uuid.uuid4().hex[:8]}@example.org",
            password=PASSWORD,
            role=role,
        )
    db_session.commit()
    uploaded = post_file(signed_in(app, users["uploader"]), make_csv([good(0)]))
    assert uploaded.status_code == 302
    submission = db_session.scalar(
        sa.select(Submission.id).where(Submission.organisation_id == partner.id)
    )
    concern = client.post(
        "/api/v1/experiences",
        json=make_record(safeguarding=CONCERN),
        headers=auth_headers(partner),
    )
    assert concern.status_code == 201, concern.get_json()
    hook = client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.org/world", "events": ["outcome.created"]},
        headers=auth_headers(partner),
    )
    assert hook.status_code == 201, hook.get_json()
    gone = client.post(
        "/api/v1/experiences", json=make_record(), headers=auth_headers(partner)
    ).get_json()["id"]
    withdrawn = client.post(f"/api/v1/experiences/{gone}/withdrawal", headers=auth_headers(partner))
    assert withdrawn.status_code == 200
    return {
        "users": users,
        "submission": submission,
        "partner": partner.id,
        "alert": concern.get_json()["safeguarding"]["alert"]["id"],
        "record": concern.get_json()["id"],
        "client_id": partner.client_id,
        "endpoint": hook.get_json()["id"],
        "withdrawn": gone,
    }


def test_each_page_answers_each_role_as_the_table_says(app, world):
    # Every role against one world (building it is most of the cost); a role's own form posts
    # are refused or change nothing another role's answer depends on.
    wrong = {}
    for asker in ["anonymous", *ROLES]:
        wrong.update(_answers_of(app, world, asker))
    assert wrong == {}, "asker, endpoint → (got, expected)"


def _answers_of(app, world, asker) -> dict[tuple[str, str], tuple[int, int]]:
    client = app.test_client() if asker == "anonymous" else signed_in(app, world["users"][asker])
    wrong = {}
    for endpoint, entry in TABLE.items():
        path = entry.path(world)
        if entry.method == "POST":
            # A form token from a page anyone may load; the role check follows the CSRF check.
            form = {
                "csrf_token": token(
                    client, "/portal/sign-in" if asker == "anonymous" else "/portal"
                )
            }
            form.update(entry.data(world) if entry.data else {})
            response = client.post(path, data=form)
        else:
            response = client.get(path)
        response.close()  # a static file's stream stays open until closed
        want = expected(entry, asker)
        if response.status_code != want:
            wrong[(asker, endpoint)] = (response.status_code, want)
        elif want == 302 and asker == "anonymous" and entry.fixed is None:
            assert response.headers["Location"].startswith("/portal/sign-in"), endpoint
    return wrong


def test_the_home_page_links_only_to_pages_the_role_opens(app, world):
    for asker in ROLES:
        page = signed_in(app, world["users"][asker]).get("/portal").get_data(as_text=True)
        for endpoint, entry in TABLE.items():
            if entry.fixed is not None or endpoint == "portal.home":
                continue
            path = entry.path(world)
            if f'href="{path}"' in page:
                assert asker in entry.roles, f"{asker} is shown a link to {path}"
