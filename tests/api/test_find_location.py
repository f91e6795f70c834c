"""Uploaders find a location's registry id in the portal; a spreadsheet row giving a service's
name and postcode is matched through the registry when exactly one location fits, and otherwise
says which locations it could be."""

from __future__ import annotations

import pytest

from tests.api.test_csv_spreadsheet_files import upload
from tests.api.test_portal_upload import good, make_csv, signed_in


@pytest.fixture
def registry(make_location, db_session):
    made = {
        "1-100000001": ("Brookside Medical Centre", "LS2 7EW", "1 Example Road, Sampleford Dale"),
        "1-100000002": ("Meadow View Care Home", "LS1 4AP", "2 Sample Street, Sampleford Dale"),
        "1-100000003": ("Meadow View Care Home", "LS1 4AQ", "9 Other Street, Sampleford Dale"),
        "1-100000004": ("Harbour Dental Practice", "EX1 2AB", "4 Quay, Exampleport"),
    }
    for location_id, (name, postcode, address) in made.items():
        loc = make_location(location_id, name=name, postcode=postcode)
        loc.address = address
        loc.service_types = ["Doctors/GPs"] if "Medical" in name else ["Care home service"]
    db_session.commit()
    return made


def test_a_partner_finds_a_location_id_by_name_town_or_postcode(app, make_user, registry):
    portal = signed_in(app, make_user("uploader"))

    by_name = portal.get("/portal/find-location?q=brookside").get_data(as_text=True)
    assert "1-100000001" in by_name
    assert "1 Example Road, Sampleford Dale, LS2 7EW" in by_name
    assert "Doctors/GPs" in by_name
    assert "1-100000004" not in by_name

    by_town = portal.get("/portal/find-location?q=exampleport").get_data(as_text=True)
    assert "1-100000004" in by_town and "1-100000001" not in by_town

    by_postcode = portal.get("/portal/find-location?postcode=LS1").get_data(as_text=True)
    assert "1-100000002" in by_postcode and "1-100000003" in by_postcode
    assert "1-100000001" not in by_postcode

    both = portal.get("/portal/find-location?q=meadow&postcode=LS1 4AQ").get_data(as_text=True)
    assert "1-100000003" in both and "1-100000002" not in both

    bad = portal.get("/portal/find-location?postcode=nowhere").get_data(as_text=True)
    assert "Enter a UK postcode" in bad

    assert 'href="/portal/find-location"' in portal.get("/portal/upload").get_data(as_text=True)


def test_a_postcode_or_an_id_typed_in_the_name_box_finds_the_location(app, make_user, registry):
    """The page invites a name, a town, a postcode or a mix: people type them all in one box."""
    portal = signed_in(app, make_user("uploader"))

    def found(query: str) -> set[str]:
        page = portal.get(f"/portal/find-location?q={query}").get_data(as_text=True)
        return {location_id for location_id in registry if location_id in page}

    assert found("LS1 4AP") == {"1-100000002"}
    assert found("ls14ap") == {"1-100000002"}
    assert found("meadow view LS1 4AQ") == {"1-100000003"}
    assert found("meadow LS1") == {"1-100000002", "1-100000003"}
    assert found("1-100000004") == {"1-100000004"}
    assert found("harbour LS1") == set()


def test_a_service_name_and_postcode_is_matched_when_one_location_fits(
    client, make_party, auth_headers, registry
):
    partner = make_party("charity")
    headers = auth_headers(partner)
    row = good(
        0,
        partner_record_id="by-name",
        location_id="",
        service_name="Brookside Medical Centre",
        service_postcode="ls2 7ew",
    )

    report = upload(client, headers, make_csv([row]))

    assert (report["accepted"], report["errors"], report["warnings"]) == (1, [], [])
    records = client.get("/api/v1/experiences", headers=headers).get_json()["items"]
    assert [(r["partner_record_id"], r["location_id"], r["status"]) for r in records] == [
        ("by-name", "1-100000001", "accepted")
    ]


def test_a_service_that_fits_several_locations_names_them(
    client, make_party, auth_headers, registry
):
    headers = auth_headers(make_party("charity"))
    rows = [
        good(
            0,
            partner_record_id="two-fit",
            location_id="",
            service_name="Meadow View Care Home",
            service_postcode="LS1 4AB",
        ),
        good(
            1,
            partner_record_id="none-fit",
            location_id="",
            service_name="Nowhere House",
            service_postcode="TR1 1AA",
        ),
    ]

    report = upload(client, headers, make_csv(rows))

    assert report["accepted"] == 2
    notes = {w["row"]: w["message"] for w in report["warnings"]}
    assert "1-100000002 Meadow View Care Home (LS1 4AP)" in notes[2]
    assert "1-100000003 Meadow View Care Home (LS1 4AQ)" in notes[2]
    assert "No location in the registry fits 'Nowhere House' at TR1 1AA" in notes[3]
    records = client.get("/api/v1/experiences", headers=headers).get_json()["items"]
    assert {r["status"] for r in records} == {"needs_reconciliation"}


def test_rows_naming_the_same_service_ask_the_registry_once(
    client, make_party, auth_headers, registry, monkeypatch
):
    from hub.exchange.csv import rows as csv_rows

    asked: list[tuple[str, str]] = []
    real = csv_rows.match_service

    def counted(session, name, postcode):
        asked.append((name, postcode))
        return real(session, name, postcode)

    monkeypatch.setattr(csv_rows, "match_service", counted)
    headers = auth_headers(make_party("charity"))
    same = {"location_id": "", "service_name": "Brookside Medical Centre"}
    rows = [
        good(n, partner_record_id=f"same-{n}", service_postcode="LS2 7EW", **same) for n in range(4)
    ]
    rows.append(
        good(
            9,
            partner_record_id="none-fit",
            location_id="",
            service_name="Nowhere House",
            service_postcode="TR1 1AA",
        )
    )
    rows.append(
        good(
            10,
            partner_record_id="none-fit-2",
            location_id="",
            service_name="Nowhere House",
            service_postcode="TR1 1AA",
        )
    )

    report = upload(client, headers, make_csv(rows))

    assert report["accepted"] == 6
    assert sorted(w["row"] for w in report["warnings"]) == [6, 7]
    assert sorted(set(asked)) == sorted(asked)
    records = client.get("/api/v1/experiences", headers=headers).get_json()["items"]
    located = {r["partner_record_id"]: r["location_id"] for r in records}
    assert all(located[f"same-{n}"] == "1-100000001" for n in range(4))
