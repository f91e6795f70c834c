"""Regulator staff's coverage page: who records with equality monitoring come from, by region,
under disclosure control."""

from __future__ import annotations

import re

import pytest

from hub.exchange.insight.coverage import MIN_BASE, publish
from tests.api.test_portal_upload import signed_in

LONDON = "1-000000001"
NORTH_WEST = "1-000000002"
NONE = "\u2013"  # the dash a withheld percentage shows
CELL = re.compile(r'<td class="govuk-table__cell govuk-table__cell--numeric">([^<]*)</td>')


def _equality(sex: str, ethnic_group: str) -> dict[str, str]:
    return {"age_band": "65-74", "sex": sex, "ethnic_group": ethnic_group, "disability": "no"}


@pytest.fixture
def heard(client, db_session, make_location, make_party, auth_headers, make_record):
    """London: 40 women (35 Black, 5 White). North West: 20 men and 20 women (34 White, 6 Asian).
    Plus records the page must leave out: a withdrawn London man, and one without consent to
    equality monitoring."""
    for location_id, region in ((LONDON, "London"), (NORTH_WEST, "North West")):
        make_location(location_id).region = region
    db_session.commit()
    headers = auth_headers(make_party("charity"))
    london = [
        make_record(
            location_id=LONDON, equality=_equality("female", "black" if i < 35 else "white")
        )
        for i in range(40)
    ]
    north_west = [
        make_record(
            location_id=NORTH_WEST,
            equality=_equality("male" if i < 20 else "female", "white" if i < 34 else "asian"),
        )
        for i in range(40)
    ]
    withdrawn = make_record(location_id=LONDON, equality=_equality("male", "mixed"))
    no_consent = make_record(location_id=LONDON, equality=_equality("male", "mixed"))
    no_consent["consent"]["scopes"] = ["regulator_use"]
    batch = client.post(
        "/api/v1/experiences/batch",
        json={"records": [*london, *north_west, withdrawn, no_consent]},
        headers=headers,
    )
    assert batch.status_code == 200, batch.get_json()
    results = batch.get_json()["results"]
    assert all(r["status"] == "created" for r in results), results
    gone = client.post(f"/api/v1/experiences/{results[80]['id']}/withdrawal", headers=headers)
    assert gone.status_code == 200


def _row(page: str, table: str, label: str) -> list[str]:
    section = page.split(f'data-dimension="{table}"', 1)[1].split("</table>", 1)[0]
    row = section.split(f">{label}</th>", 1)[1].split("</tr>", 1)[0]
    return CELL.findall(row)


def test_publish_follows_the_disclosure_rule():
    assert publish(0, 40).shown == "0"
    assert publish(0, 40).percent == 0
    assert all(publish(n, 40).shown == "*" and publish(n, 40).percent is None for n in range(1, 8))
    assert publish(8, 40).shown == "10"
    assert publish(8, 40).percent == 25.0
    assert publish(12, 40).shown == "10"  # rounded to the nearest 5
    assert publish(13, 40).shown == "15"
    small_base = publish(10, MIN_BASE - 3)
    assert small_base.shown == "10"
    assert small_base.percent is None


@pytest.mark.parametrize("role", ["inspector", "engagement"])
def test_regulator_staff_see_each_region_against_the_whole(app, heard, make_user, role):
    client = signed_in(app, make_user(role, "regulator"))
    overview = client.get("/portal/coverage")
    assert overview.status_code == 200
    text = overview.get_data(as_text=True)
    assert "What the figures are, and are not" in text
    assert 'href="/portal/coverage?region=London"' in text
    assert "Male (sex)" in text  # London hears no men

    page = client.get("/portal/coverage", query_string={"region": "London"}).get_data(as_text=True)
    # Region count, region share, all-regions count, all-regions share.
    assert _row(page, "sex", "Male") == ["0", "0%", "20", "25%"]
    assert _row(page, "sex", "Female") == ["40", "100%", "60", "75%"]
    assert _row(page, "ethnic_group", "White") == ["*", NONE, "40", "50%"]
    assert _row(page, "ethnic_group", "Asian or Asian British") == ["0", "0%", "*", NONE]
    assert _row(page, "ethnic_group", "Mixed or multiple ethnic groups") == ["0", "0%", "0", "0%"]
    male = page.split('data-dimension="sex"', 1)[1].split(">Male</th>", 1)[1].split("</tr>")[0]
    assert "Under-represented" in male
    assert '<svg class="hub-chart" role="img"' in page
    chart = page.split('<svg class="hub-chart"', 1)[1].split("</svg>", 1)[0]
    assert "style=" not in chart


def test_no_count_of_one_to_seven_is_ever_shown(app, heard, make_user):
    client = signed_in(app, make_user("engagement", "regulator"))
    for region in ("", "London", "North West"):
        page = client.get("/portal/coverage", query_string={"region": region})
        cells = CELL.findall(page.get_data(as_text=True))
        assert cells
        for cell in cells:
            if cell.isdigit():
                assert int(cell) == 0 or (int(cell) >= 10 and int(cell) % 5 == 0), cell


def test_an_unknown_region_shows_only_the_overview(app, heard, make_user):
    client = signed_in(app, make_user("inspector", "regulator"))
    page = client.get("/portal/coverage", query_string={"region": "Atlantis"})
    assert page.status_code == 200
    assert "There are no records with equality monitoring for" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        ("uploader", "charity"),
        ("admin", "community_group"),
        ("admin", "regulator"),
        ("auditor", "auditor"),
    ],
)
def test_partners_auditors_and_regulator_admins_are_refused(app, make_user, role, kind):
    client = signed_in(app, make_user(role, kind))
    assert client.get("/portal/coverage").status_code == 403
