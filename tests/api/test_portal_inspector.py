"""Regulator staff's portal pages: locations, one location's insight, the safeguarding queue."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.safeguarding.models import SafeguardingAlert
from tests.api.test_portal_upload import signed_in, token

LOC = "1-000000001"
PAGES = ("/portal/locations", f"/portal/locations/{LOC}", "/portal/safeguarding")
CONCERN = {"concern": True, "immediate_risk": False, "categories": ["neglect"]}
RISK_NOTE = "Risk is not quality: this ranks what people told partners recently"


@pytest.fixture
def ward(make_location):
    return make_location(LOC, name="Riverside Ward", postcode="SW1A 1AA")


@pytest.fixture
def concern(client, ward, make_party, auth_headers, make_record):
    """A partner's negative record about the ward that raised a safeguarding alert."""
    headers = auth_headers(make_party("charity", name="Riverside Mind"))
    response = client.post(
        "/api/v1/experiences", json=make_record(safeguarding=CONCERN), headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("role", ["inspector", "engagement"])
def test_regulator_staff_open_every_page(app, ward, make_user, role):
    client = signed_in(app, make_user(role, "regulator"))
    for page in PAGES:
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize(("role", "kind"), [("uploader", "charity"), ("auditor", "auditor")])
def test_partner_and_auditor_are_refused(app, ward, make_user, role, kind):
    client = signed_in(app, make_user(role, kind))
    for page in PAGES:
        assert client.get(page).status_code == 403, page


def test_anonymous_visitor_is_sent_to_sign_in(app, ward):
    client = app.test_client()
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302
        assert "/portal/sign-in" in response.headers["Location"]


def test_search_and_ranking_lead_to_the_location(app, concern, make_user):
    client = signed_in(app, make_user("inspector", "regulator"))
    page = client.get("/portal/locations").get_data(as_text=True)
    assert RISK_NOTE in page
    assert f'href="/portal/locations/{LOC}"' in page
    found = client.get("/portal/locations?q=riverside").get_data(as_text=True)
    assert "Riverside Ward" in found
    bad = client.get("/portal/locations?postcode=notapostcode")
    assert bad.status_code == 200
    assert "There is a problem" in bad.get_data(as_text=True)


def test_location_page_draws_the_chart_and_shows_quotes_alerts_partners(app, concern, make_user):
    client = signed_in(app, make_user("inspector", "regulator"))
    page = client.get(f"/portal/locations/{LOC}").get_data(as_text=True)
    assert '<svg class="hub-chart" role="img"' in page
    assert "<rect " in page
    assert "style=" not in page.split('<svg class="hub-chart"', 1)[1].split("</svg>", 1)[0]
    assert "nobody explained my medication" in page
    assert "Neglect and acts of omission" in page
    assert "Riverside Mind" in page


def test_the_location_page_shows_vocabulary_labels_not_codes(
    app, client, ward, make_party, auth_headers, make_record, make_user
):
    record = make_record(
        themes=["staff-attitude", "waiting-times"],
        key_questions=["well-led"],
        safeguarding={"concern": True, "immediate_risk": False, "categories": ["self-harm"]},
    )
    headers = auth_headers(make_party("charity"))
    assert client.post("/api/v1/experiences", json=record, headers=headers).status_code == 201

    page = signed_in(app, make_user("inspector", "regulator")).get(f"/portal/locations/{LOC}")

    html = page.get_data(as_text=True)
    assert "<li>Staff attitude (1)</li>" in html
    assert "<li>Waiting times (1)</li>" in html
    assert "Self-harm or risk of suicide, due" in html
    assert ", negative, Well-led</p>" in html
    for code in ("staff-attitude", "waiting-times", "self-harm"):
        assert code not in html, code


def test_unknown_location_page_is_404(app, make_user):
    client = signed_in(app, make_user("inspector", "regulator"))
    assert client.get("/portal/locations/1-999999999").status_code == 404


def test_acknowledging_on_the_page_changes_the_alert_and_is_audited(
    app, concern, make_user, db_session
):
    client = signed_in(app, make_user("inspector", "regulator"))
    alert_id = concern["safeguarding"]["alert"]["id"]
    queue = client.get("/portal/safeguarding").get_data(as_text=True)
    assert f"/portal/safeguarding/{alert_id}/acknowledge" in queue
    response = client.post(
        f"/portal/safeguarding/{alert_id}/acknowledge",
        data={"csrf_token": token(client, "/portal/safeguarding")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Alert acknowledged." in response.get_data(as_text=True)
    db_session.expire_all()
    alert = db_session.get(SafeguardingAlert, uuid.UUID(alert_id))
    assert alert.status == "acknowledged"
    actions = db_session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_id == alert_id)
    ).all()
    assert "safeguarding.alert_acknowledged" in actions


def test_acknowledging_without_the_csrf_token_is_refused(app, concern, make_user, db_session):
    client = signed_in(app, make_user("inspector", "regulator"))
    alert_id = concern["safeguarding"]["alert"]["id"]
    response = client.post(f"/portal/safeguarding/{alert_id}/acknowledge")
    assert response.status_code == 400
    db_session.expire_all()
    assert db_session.get(SafeguardingAlert, uuid.UUID(alert_id)).status == "open"


def test_referring_needs_a_reason_and_records_it(app, concern, make_user, db_session):
    client = signed_in(app, make_user("engagement", "regulator"))
    alert_id = concern["safeguarding"]["alert"]["id"]
    url = f"/portal/safeguarding/{alert_id}/refer"
    empty = client.post(
        url,
        data={"csrf_token": token(client, "/portal/safeguarding"), "reason": " "},
        follow_redirects=True,
    )
    assert "Say where you referred the concern and why" in empty.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(SafeguardingAlert, uuid.UUID(alert_id)).status == "open"
    done = client.post(
        url,
        data={
            "csrf_token": token(client, "/portal/safeguarding"),
            "reason": "Local authority adult safeguarding team",
        },
        follow_redirects=True,
    )
    assert "Alert marked as referred." in done.get_data(as_text=True)
    db_session.expire_all()
    alert = db_session.get(SafeguardingAlert, uuid.UUID(alert_id))
    assert (alert.status, alert.referral_reason) == (
        "referred",
        "Local authority adult safeguarding team",
    )
    actions = db_session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_id == alert_id)
    ).all()
    assert "safeguarding.alert_referred" in actions


def test_overdue_alerts_are_tagged(app, concern, make_user, db_session):
    alert = db_session.get(SafeguardingAlert, uuid.UUID(concern["safeguarding"]["alert"]["id"]))
    client = signed_in(app, make_user("inspector", "regulator"))
    assert "Overdue</strong>" not in client.get("/portal/safeguarding").get_data(as_text=True)
    alert.due_at = alert.raised_at - timedelta(hours=1)
    db_session.commit()
    assert "Overdue</strong>" in client.get("/portal/safeguarding").get_data(as_text=True)


def test_the_location_page_counts_mixed_accounts(
    app, client, ward, make_party, auth_headers, make_record, make_user
):
    headers = auth_headers(make_party("charity", name="Riverside Mind"))
    for sentiment in ("mixed", "positive"):
        sent = client.post(
            "/api/v1/experiences", json=make_record(sentiment=sentiment), headers=headers
        )
        assert sent.status_code == 201, sent.get_json()
    page = signed_in(app, make_user("inspector", "regulator")).get(f"/portal/locations/{LOC}")

    html = " ".join(page.get_data(as_text=True).split())
    assert "2 experiences shared by partners: 0 negative, 1 mixed, 0 neutral, 1 positive." in html
    assert "1 mixed" in html  # a segment of the month's bar


def test_the_location_page_counts_accounts_with_no_sentiment_in_every_total(
    app, client, ward, make_party, auth_headers, make_record, make_user
):
    headers = auth_headers(make_party("charity", name="Riverside Mind"))
    for n, sentiment in enumerate(("positive", None, None)):
        record = make_record(partner_record_id=f"tone-{n}", sentiment=sentiment)
        sent = client.post("/api/v1/experiences", json=record, headers=headers)
        assert sent.status_code == 201, sent.get_json()
    page = signed_in(app, make_user("inspector", "regulator")).get(f"/portal/locations/{LOC}")

    html = " ".join(page.get_data(as_text=True).split())
    assert (
        "3 experiences shared by partners: 0 negative, 0 mixed, 0 neutral, 1 positive, "
        "2 with no sentiment given." in html
    )
    month_row = html.split("Experiences by month (the chart's figures)")[1].split("</tr>")[1]
    cells = [c.split("<")[0].strip() for c in month_row.split('numeric">')[1:]]
    assert cells[:6] == ["3", "0", "0", "0", "1", "2"]


def test_the_ranking_on_the_locations_page_reads_counts_not_records(
    app, concern, make_user, engine
):
    client = signed_in(app, make_user("inspector", "regulator"))
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        page = client.get("/portal/locations?q=riverside").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    ranked = page.split(RISK_NOTE, 1)[1]
    assert f'href="/portal/locations/{LOC}"' in ranked
    assert any("location_recent_counts" in s for s in statements)
    assert not [s for s in statements if "experience_records" in s]
