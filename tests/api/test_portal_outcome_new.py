"""Recording "you said, we did" outcomes in the portal (engagement staff): records chosen by a
partner's references or by location and period; the API's service, audit event and webhooks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.outcomes import services
from hub.exchange.outcomes.models import Outcome, OutcomeRecord
from hub.exchange.outcomes.services import MAX_RECORDS
from tests.api.test_portal_upload import signed_in, token

LOC = "1-000000001"
OTHER_LOC = "1-000000002"
SUMMARY = "What people told us about night-time checks shaped our inspection in March."


@pytest.fixture
def world(client, make_party, make_user, make_location, auth_headers, make_record):
    make_location(LOC)
    make_location(OTHER_LOC)
    partner = make_party("charity", name="Riverside Mind")
    sent = {}
    for reference, location, days_ago in (
        ("RM-1", LOC, 40),
        ("RM-2", LOC, 200),
        ("RM-3", OTHER_LOC, 40),
    ):
        day = (date.today() - timedelta(days=days_ago)).isoformat()
        answer = client.post(
            "/api/v1/experiences",
            json=make_record(
                partner_record_id=reference, location_id=location, experience_date=day
            ),
            headers=auth_headers(partner),
        )
        assert answer.status_code == 201, answer.get_json()
        sent[reference] = answer.get_json()["id"]
    engagement = make_user("engagement", kind="regulator")
    return {"partner": partner, "sent": sent, "engagement": engagement}


def form(portal, **fields):
    when = date.today() - timedelta(days=3)
    data = {
        "csrf_token": token(portal, "/portal/outcomes/new"),
        "kind": "used-in-inspection",
        "summary": SUMMARY,
        "occurred_on": [str(when.day), str(when.month), str(when.year)],
        "report_url": "https://www.example.org/reports/1",
    }
    data.update(fields)
    return data


def outcomes(db_session):
    return db_session.scalars(sa.select(Outcome)).all()


def linked(db_session, outcome):
    return {
        str(i)
        for i in db_session.scalars(
            sa.select(OutcomeRecord.record_id).where(OutcomeRecord.outcome_id == outcome.id)
        )
    }


def test_by_the_partners_references_as_the_api_records_it(
    app, world, db_session, make_user, make_org
):
    portal = signed_in(app, world["engagement"])
    data = form(
        portal,
        choose_by="reference",
        partner=str(world["partner"].id),
        references="RM-1\r\n RM-3 \r\n",
    )

    answer = portal.post("/portal/outcomes/new", data=data)

    assert answer.status_code == 302, answer.get_data(as_text=True)
    [outcome] = outcomes(db_session)
    assert outcome.kind == "used-in-inspection"
    assert outcome.summary == SUMMARY
    assert outcome.report_url == "https://www.example.org/reports/1"
    assert linked(db_session, outcome) == {world["sent"]["RM-1"], world["sent"]["RM-3"]}
    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "outcome.created")
    ).one()
    assert event.actor == f"user:{world['engagement'].id}"
    assert event.details == {"kind": "used-in-inspection", "records": 2}
    page = portal.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Outcome recorded against 2 records" in page
    # The partner sees it as it does through the API.
    partner_user = make_user("uploader", org=world["partner"].org)
    seen = signed_in(app, partner_user).get("/portal/outcomes").get_data(as_text=True)
    assert SUMMARY in seen
    assert "RM-1" in seen and "RM-3" in seen


def test_by_location_and_period(app, world, db_session):
    portal = signed_in(app, world["engagement"])
    start = date.today() - timedelta(days=60)
    end = date.today()
    data = form(
        portal,
        choose_by="location",
        location_id=LOC,
        period_from=[str(start.day), str(start.month), str(start.year)],
        period_to=[str(end.day), str(end.month), str(end.year)],
    )

    answer = portal.post("/portal/outcomes/new", data=data)

    assert answer.status_code == 302, answer.get_data(as_text=True)
    [outcome] = outcomes(db_session)
    assert outcome.location_id == LOC
    # RM-2 happened before the period, RM-3 elsewhere.
    assert linked(db_session, outcome) == {world["sent"]["RM-1"]}


def test_mistakes_are_said_in_plain_english_and_nothing_is_recorded(app, world, db_session):
    portal = signed_in(app, world["engagement"])
    cases = [
        (
            {"choose_by": "reference", "partner": str(world["partner"].id), "references": "RM-9"},
            "The partner has no record with these references (or they were withdrawn): RM-9",
        ),
        ({"choose_by": "reference", "partner": "", "references": "RM-1"}, "Select the partner"),
        (
            {"choose_by": "location", "location_id": "no such place"},
            "Enter a care location ID, like 1-000000001",
        ),
        (
            {
                "choose_by": "location",
                "location_id": "1-999999999",
                "period_from": ["1", "1", "2020"],
                "period_to": ["1", "1", "2030"],
            },
            "No records match this care location and period",
        ),
        (
            {
                "choose_by": "location",
                "location_id": LOC,
                "period_from": ["31", "2", "2026"],
                "period_to": ["1", "3", "2026"],
            },
            "The first day of the period must be a real date",
        ),
        (
            {
                "choose_by": "location",
                "location_id": LOC,
                "period_from": ["1", "3", "2026"],
                "period_to": ["1", "2", "2026"],
            },
            "The end of the period must be on or after its start",
        ),
        ({"choose_by": "reference", "summary": ""}, "Enter a summary of what was done"),
        ({"choose_by": "reference", "kind": "made-up"}, "Select what was done"),
        ({"choose_by": "made-up"}, "Select how to choose the records"),
        (
            {"choose_by": "reference", "report_url": "javascript:alert(1)"},
            "A web address starting https://",
        ),
    ]
    for fields, message in cases:
        data = form(portal, **fields)
        if fields.get("choose_by") == "reference":
            data.setdefault("partner", str(world["partner"].id))
            data.setdefault("references", "RM-1")
        answer = portal.post("/portal/outcomes/new", data=data)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, fields
        assert "There is a problem" in html, fields
        assert message in html, (fields, message)
        assert "Not a valid choice" not in html, fields
    assert outcomes(db_session) == []


@pytest.mark.parametrize(
    ("typed", "message", "highlighted"),
    [
        (
            ["31", "2", "2026"],
            "The date of the action must be a real date",
            ["day", "month", "year"],
        ),
        (["3", "13", "2026"], "The date of the action must be a real date", ["month"]),
        (["3", "x", "y"], "The date of the action must be a real date", ["day", "month", "year"]),
        (["3", "", "2026"], "The date of the action must include a month", ["month"]),
        (["", "", "2026"], "The date of the action must include a day and month", ["day", "month"]),
        (["3", "3", "26"], "The date of the action must include a year with 4 numbers", ["year"]),
        (["", "", ""], "Enter the date of the action", ["day", "month", "year"]),
    ],
)
def test_a_wrong_date_is_said_once_naming_it_and_linking_to_its_first_wrong_part(
    app, world, db_session, typed, message, highlighted
):
    portal = signed_in(app, world["engagement"])
    data = form(portal, choose_by="reference", occurred_on=typed)
    data.update(partner=str(world["partner"].id), references="RM-1")

    answer = portal.post("/portal/outcomes/new", data=data)

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    # One message beside the date, the same one in the summary, which links to the first
    # part of the date to mend.
    assert html.count('class="govuk-error-message"') == 1
    said = re.findall(
        r'<p id="occurred_on-error" class="govuk-error-message">\s*'
        r'<span class="govuk-visually-hidden">Error:</span> ([^<]*)',
        html,
    )
    assert [words.strip() for words in said] == [message]
    summary = re.findall(
        r'<a href="(#[^"]*)">([^<]*)</a>',
        html.split("govuk-error-summary__list")[1].split("</ul>")[0],
    )
    assert summary == [(f"#occurred_on-{highlighted[0]}", message)]
    assert "real date, like" not in html
    marked = [
        part
        for part in ("day", "month", "year")
        if re.search(rf'class="[^"]*govuk-input--error[^"]*" id="occurred_on-{part}"', html)
    ]
    assert marked == highlighted
    assert outcomes(db_session) == []


def test_limits_and_a_future_date_are_said_naming_what_to_change(
    app, world, db_session, monkeypatch
):
    portal = signed_in(app, world["engagement"])
    tomorrow = date.today() + timedelta(days=2)
    by_reference = {"choose_by": "reference", "partner": str(world["partner"].id)}
    cases = [
        (
            {
                **by_reference,
                "references": "RM-1",
                "occurred_on": [str(tomorrow.day), str(tomorrow.month), str(tomorrow.year)],
            },
            "The date of the action must be today or in the past",
        ),
        (
            {**by_reference, "references": "\n".join(f"RM-{n}" for n in range(MAX_RECORDS + 1))},
            f"Enter at most {MAX_RECORDS} references",
        ),
    ]
    for fields, message in cases:
        html = portal.post("/portal/outcomes/new", data=form(portal, **fields)).get_data(
            as_text=True
        )
        assert message in html, (fields, message)
        assert "Must not be in the future" not in html
    # More records in the period than an outcome may name: the period is what to change.
    monkeypatch.setattr(services, "MAX_RECORDS", 1)
    start = date.today() - timedelta(days=365)
    fields = {
        "choose_by": "location",
        "location_id": LOC,
        "period_from": [str(start.day), str(start.month), str(start.year)],
        "period_to": [str(date.today().day), str(date.today().month), str(date.today().year)],
    }
    html = portal.post("/portal/outcomes/new", data=form(portal, **fields)).get_data(as_text=True)
    assert "More than 1 records match: choose a shorter period" in html
    assert outcomes(db_session) == []


def test_a_post_without_its_csrf_token_records_nothing(app, world, db_session):
    portal = signed_in(app, world["engagement"])
    data = form(portal, choose_by="location", location_id=LOC)
    del data["csrf_token"]

    assert portal.post("/portal/outcomes/new", data=data).status_code == 400
    assert outcomes(db_session) == []
