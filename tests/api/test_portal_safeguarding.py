"""The safeguarding queue page as a duty officer works it: paged, soonest due first, filtered by
status, category and overdue, and each alert readable at a glance (location, partner, categories,
due, why, and the redacted words of the account)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from hub.safeguarding.models import SafeguardingAlert
from tests.api.test_portal_upload import signed_in, token

LOC = "1-000000001"
PAGE = "/portal/safeguarding"
NEGLECT = {"concern": True, "immediate_risk": False, "categories": ["neglect"]}
URGENT = {"concern": True, "immediate_risk": True, "categories": ["physical"]}
NAMED = "The carer keeps asking Gintaras Petrauskas to lend him money, he gave him £400."


@pytest.fixture
def ward(make_location):
    return make_location(LOC, name="Riverside Ward", postcode="SW1A 1AA")


@pytest.fixture
def partner(make_party, auth_headers):
    return auth_headers(make_party("charity", name="Riverside Mind"))


@pytest.fixture
def reg_headers(make_party, auth_headers):
    return auth_headers(make_party("regulator"))


@pytest.fixture
def officer(app, make_user):
    return signed_in(app, make_user("inspector", "regulator"))


def send(client, headers, records):
    response = client.post("/api/v1/experiences/batch", json={"records": records}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [r["safeguarding"]["alert_id"] for r in response.get_json()["results"]]


def shown(page: str) -> list[str]:
    """The alert ids on a page, in order (from their acknowledge or refer forms)."""
    return list(dict.fromkeys(re.findall(r"/portal/safeguarding/([0-9a-f-]{36})/", page)))


def test_each_alert_shows_place_partner_categories_due_why_and_the_redacted_account(
    client, ward, partner, officer, make_record
):
    send(client, partner, [make_record(location_id=LOC, narrative=NAMED, safeguarding=...)])
    page = officer.get(PAGE).get_data(as_text=True)
    assert "Riverside Ward" in page and f'href="/portal/locations/{LOC}"' in page
    assert "Riverside Mind" in page
    assert "Financial or material abuse" in page  # the category by its label
    assert "Due</dt>" in page
    assert "“asking [NAME] to lend him money”" in page  # why, in the account's own words
    assert "The carer keeps asking [NAME] to lend him money" in page  # the redacted account
    assert "Gintaras" not in page and "Petrauskas" not in page


def test_the_queue_is_paged_and_soonest_due_first(client, ward, partner, officer, make_record):
    ids = send(
        client,
        partner,
        [make_record(safeguarding=NEGLECT) for _ in range(27)]
        + [make_record(safeguarding=URGENT) for _ in range(3)],
    )
    first = officer.get(PAGE).get_data(as_text=True)
    assert "Alerts 1 to 25 of 30" in first
    on_first = shown(first)
    assert len(on_first) == 25
    assert set(on_first[:3]) == set(ids[27:])  # immediate: due in an hour, so first
    assert f'href="{PAGE}?status=to-do&amp;page=2"' in first
    second = officer.get(f"{PAGE}?page=2").get_data(as_text=True)
    assert "Alerts 26 to 30 of 30" in second
    assert set(on_first) | set(shown(second)) == set(ids)
    # a page past the end shows the last one
    assert "Alerts 26 to 30 of 30" in officer.get(f"{PAGE}?page=9").get_data(as_text=True)


def test_filters_by_status_category_and_overdue(
    client, ward, partner, officer, make_record, db_session
):
    neglect, physical, late = send(
        client,
        partner,
        [
            make_record(safeguarding=NEGLECT),
            make_record(safeguarding=URGENT),
            make_record(safeguarding={**NEGLECT, "categories": ["self-neglect"]}),
        ],
    )
    overdue = db_session.get(SafeguardingAlert, uuid.UUID(late))
    overdue.due_at = overdue.raised_at - timedelta(hours=1)
    db_session.commit()
    officer.post(f"{PAGE}/{physical}/acknowledge", data={"csrf_token": token(officer, PAGE)})

    def ids(query: str) -> set[str]:
        return set(shown(officer.get(f"{PAGE}?{query}").get_data(as_text=True)))

    assert ids("") == {neglect, physical, late}
    assert ids("status=open") == {neglect, late}
    assert ids("status=acknowledged") == {physical}
    assert ids("category=neglect") == {neglect}  # not self-neglect
    assert ids("category=self-neglect") == {late}
    assert ids("overdue=1") == {late}
    assert ids("status=referred") == set()
    assert "No alert matches these filters." in officer.get(f"{PAGE}?status=referred").get_data(
        as_text=True
    )


def test_a_filter_that_makes_no_sense_is_named_in_plain_words(officer, ward):
    response = officer.get(f"{PAGE}?status=urgent&category=bullying&page=two")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "Choose a status from the list" in page
    assert "Choose a category from the list" in page
    assert "The page number must be a whole number" in page


def test_acting_on_an_alert_returns_to_the_same_view(client, ward, partner, officer, make_record):
    (alert,) = send(client, partner, [make_record(safeguarding=NEGLECT)])
    response = officer.post(
        f"{PAGE}/{alert}/acknowledge?status=open&category=neglect&page=1",
        data={"csrf_token": token(officer, PAGE)},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{PAGE}?status=open&category=neglect&page=1")


def test_an_alert_found_late_says_when_the_record_came_in(
    client, ward, partner, officer, make_record, db_session, reg_headers
):
    (alert_id,) = send(client, partner, [make_record(safeguarding=NEGLECT)])
    alert = db_session.get(SafeguardingAlert, uuid.UUID(alert_id))
    alert.found_late, alert.received_at = True, alert.raised_at - timedelta(days=400)
    db_session.commit()
    page = officer.get(PAGE).get_data(as_text=True)
    assert "Found late" in page
    assert f"came in on {alert.received_at:%-d %b %Y}" in page
    api = client.get(f"/api/v1/safeguarding/alerts/{alert_id}", headers=reg_headers).get_json()
    assert api["found_late"] is True


def test_an_alert_found_by_a_later_rescan_says_so_with_when_the_record_came_in(
    app, client, ward, partner, officer, make_record, db_session
):
    import sqlalchemy as sa

    from hub.exchange.records.models import ExperienceRecord
    from hub.jobs.runner import run_job
    from hub.web import hub_context

    send(client, partner, [make_record(location_id=LOC, narrative=NAMED, safeguarding=...)])
    # As if the record had come in before the engines knew this concern.
    db_session.execute(sa.delete(SafeguardingAlert))
    db_session.execute(sa.update(ExperienceRecord).values(scanned_with=None))
    db_session.commit()
    assert "Found late" not in officer.get(PAGE).get_data(as_text=True)

    assert run_job(hub_context(app), "rescan").stats["alerts_raised"] == 1

    page = officer.get(PAGE).get_data(as_text=True)
    assert "Found late" in page and "a later re-check found this concern" in page
