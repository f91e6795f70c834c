"""Reading registry files and mapping CQC-shaped locations, without a database."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hub.demo.registry import REGIONS, generate_locations
from hub.privacy.generalise import normalise_postcode
from hub.registry import importer, jsonstream
from hub.registry.importer import RowError, location_from_cqc, location_from_csv
from hub.registry.services import PREDECESSOR, clean_postcode, is_location_id, search_text

DATA = Path(__file__).resolve().parents[1] / "data" / "registry"


def _items(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text())


def test_cqc_location_maps_every_field_the_hub_keeps():
    rec = location_from_cqc(_items("locations.json")[0])
    assert rec.id == "1-000000101"
    assert rec.provider_name == "Example Vale Health Partnership"
    f = rec.fields
    assert f["postcode"] == "EX1 2AB"
    assert f["address"] == "1 Example Road, Valeside, Exampleport"
    assert f["also_known_as"] == "The Vale Practice"
    assert f["registration_date"].isoformat() == "2013-04-01"
    assert f["deregistration_date"] is None
    assert f["service_types"] == ["Doctors/GPs"]
    assert f["regulated_activities"][0] == {
        "name": "Treatment of disease, disorder or injury",
        "code": "RA5",
    }
    assert f["inspection_categories"] == [{"code": "P2", "primary": "true", "name": "GP Practices"}]
    assert f["ratings"] == {
        "overall": "Good",
        "report_date": "2024-02-01",
        "key_questions": {
            "safe": "Requires improvement",
            "effective": "Good",
            "caring": "Outstanding",
            "responsive": "Good",
            "well-led": "Good",
        },
    }
    assert rec.relationships == {
        ("1-000000100", PREDECESSOR): ("Example Vale Surgery", "Change of legal entity")
    }


def test_provider_name_falls_back_to_the_brand_and_name_to_location_name():
    old = location_from_cqc(_items("locations.json")[1])
    assert old.provider_name == "BRAND Old Example Vale"
    assert old.fields["ratings"] is None
    summary = location_from_cqc(
        {"locationId": "1-000000202", "locationName": "Placeholder Homecare"}
    )
    assert summary.fields["name"] == "Placeholder Homecare"
    assert summary.fields["registration_status"] == "Registered"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("not an object", "JSON object"),
        ({"name": "Example"}, "locationId is missing"),
        ({"locationId": "1-000000001 OR 1=1", "name": "Example"}, "not a registry id"),
        ({"locationId": "1-000000001"}, "name is missing"),
        ({"locationId": "1-000000001", "name": "E", "registrationDate": "soon"}, "not a date"),
        ({"locationId": "1-000000001", "name": "E", "gacServiceTypes": "GP"}, "list of objects"),
        ({"locationId": "1-000000001", "name": "E", "providerId": "a b"}, "providerId"),
        ({"locationId": "1-000000001", "name": ["E"]}, "name should be text"),
    ],
)
def test_unusable_cqc_items_raise_row_errors_that_say_why(item, message):
    with pytest.raises(RowError, match=message):
        location_from_cqc(item)


def test_csv_row_sets_only_the_columns_the_file_has():
    rec = location_from_csv(
        {
            "location_id": "1-000000401",
            "name": " Demo  Meadow Care Home ",
            "postcode": "ne1 7ru",
            "service_types": "Care home service with nursing; Care home service without nursing",
            "predecessor_id": "1-000000400",
        }
    )
    assert rec.fields == {
        "name": "Demo Meadow Care Home",
        "postcode": "NE1 7RU",
        "service_types": ["Care home service with nursing", "Care home service without nursing"],
    }
    assert rec.relationships == {("1-000000400", PREDECESSOR): (None, None)}
    with pytest.raises(RowError, match="location_id is missing"):
        location_from_csv({"location_id": "", "name": "No Id"})


def test_search_text_is_lower_case_words_without_punctuation_or_accents():
    assert search_text("Fictional Ward, St Elsewhere's Hospital") == (
        "fictional ward st elsewhere hospital"
    )
    assert search_text("O\u2019Neill House") == "oneill house"
    assert search_text("  Café-Bar  (Sample)/Unit 2 ") == "cafe bar sample unit 2"


def test_postcodes_are_normalised_and_odd_ones_kept():
    assert clean_postcode("sw1a1aa") == "SW1A 1AA"
    assert clean_postcode(" ex1  2ab ") == "EX1 2AB"
    assert clean_postcode("BFPO 123") == "BFPO 123"
    assert clean_postcode("") is None
    assert clean_postcode("not a postcode at all") is None


@pytest.mark.parametrize("value", ["1-545611283", "1-1000210669", "RXQ", "RXQ02", "AB-12"])
def test_registry_id_shapes_are_accepted(value):
    assert is_location_id(value)


@pytest.mark.parametrize("value", ["", "-1", "1 2", "1-5456;", "x" * 21, "../etc"])
def test_other_strings_are_not_registry_ids(value):
    assert not is_location_id(value)


@pytest.mark.parametrize("name", ["locations.json", "locations_wrapped.json"])
def test_json_streaming_across_tiny_chunks_reads_what_json_load_reads(monkeypatch, name):
    # Every value, key and number then straddles a chunk boundary.
    monkeypatch.setattr(jsonstream, "CHUNK", 3)
    whole = json.loads((DATA / name).read_text())
    expected = whole if isinstance(whole, list) else whole["locations"]
    with (DATA / name).open() as fh:
        got = [item for _, item in importer._json_items(fh)]
    assert got == expected


def test_number_split_by_a_chunk_boundary_is_read_whole(monkeypatch, tmp_path):
    monkeypatch.setattr(jsonstream, "CHUNK", 4)
    path = tmp_path / "n.json"
    path.write_text('{"page": 123456789, "locations": [1234567, {"a": 1}]}')
    with path.open() as fh:
        assert [v for _, v in importer._json_items(fh)] == [1234567, {"a": 1}]


def test_broken_json_is_a_file_error_naming_the_item(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"locationId": "1-000000001", "name": "A"}, {"locationId": ')
    with path.open() as fh, pytest.raises(importer.FileError, match="item 2"):
        list(importer._json_items(fh))


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.json", '[{"locationId": "1-1"}]', "json"),
        ("a.json", '{"locations": []}', "json"),
        ("a.json", '{\n  "locations": []\n}', "json"),
        ("a.json", '{"locationId": "1-1"}\n{"locationId": "1-2"}\n', "jsonl"),
        ("a.txt", "location_id,name\n1-1,A\n", "csv"),
        ("a.jsonl", '{"locationId": "1-1"}\n', "jsonl"),
    ],
)
def test_format_is_told_by_extension_or_content(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_text(content)
    with importer._open(path) as fh:
        assert importer._kind(path, fh) == kind


def test_demo_registry_is_deterministic_fictional_and_spread_over_england():
    first = generate_locations(300, seed=7)
    assert first == generate_locations(300, seed=7)
    assert first != generate_locations(300, seed=8)
    assert len(first) == 300
    assert len({loc["locationId"] for loc in first}) == 300
    assert Counter(loc["region"] for loc in first).keys() == REGIONS.keys()
    fictional = ("Example", "Sample", "Fictional", "Imaginary", "Placeholder", "Notional", "Demo")
    assert all(any(w in loc["name"] for w in fictional) for loc in first)
    assert all(normalise_postcode(loc["postalCode"]) == loc["postalCode"] for loc in first)
    assert all(location_from_cqc(loc).id == loc["locationId"] for loc in first)
    services = {s["name"] for loc in first for s in loc["gacServiceTypes"]}
    assert {"Doctors/GPs", "Dentist", "Homecare agencies", "Maternity services"} <= services
    assert any(s.startswith("Care home") for s in services)
    assert any("mental health" in s for s in services)
    assert any(loc["locationId"].startswith("R") for loc in first)


def test_demo_re_registrations_point_back_to_deregistered_locations():
    locs = {loc["locationId"]: loc for loc in generate_locations(300)}
    links = [(loc, rel) for loc in locs.values() for rel in loc["relationships"]]
    assert len(links) >= 5
    for loc, rel in links:
        assert rel["type"] == PREDECESSOR
        old = locs[rel["relatedLocationId"]]
        assert old["registrationStatus"] == "Deregistered"
        assert old["deregistrationDate"] < loc["registrationDate"]
