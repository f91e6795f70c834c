"""Importing registry files into the database, searching them and following re-registrations."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.actor import system
from hub.audit.models import AuditEvent
from hub.demo.registry import example_locations, load_demo_registry
from hub.errors import NotFound, ValidationFailed
from hub.registry import services
from hub.registry.importer import import_file, import_items
from hub.registry.models import Location, LocationRelationship, Provider

DATA = Path(__file__).resolve().parents[1] / "data" / "registry"
ACTOR = system("tests")


def _imported_events(session):
    return list(
        session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "registry.imported"))
    )


def _current(session, location_id):
    loc = services.resolve_current(session, location_id)
    return loc.id if loc else None


def _ids(rows):
    return [loc.id for loc in rows]


def test_json_array_inserts_locations_providers_and_links(db_session):
    result = import_file(db_session, ACTOR, DATA / "locations.json")
    db_session.commit()
    assert (result.inserted, result.updated, result.skipped, result.errors) == (3, 0, 0, [])
    loc = db_session.get(Location, "1-000000101")
    assert loc.name_search == "example vale surgery"
    assert loc.postcode == "EX1 2AB"
    assert loc.ratings["key_questions"]["well-led"] == "Good"
    assert db_session.get(Provider, "1-000000900").name == "Example Vale Health Partnership"
    # No providerName: the provider is named from the location's brand.
    assert db_session.get(Provider, "1-000000800").name == "BRAND Old Example Vale"
    assert db_session.get(Location, "R9X01").service_types == [
        "Acute services with overnight beds",
        "Maternity services",
    ]
    assert services.predecessors(db_session, "1-000000101") == ["1-000000100"]
    assert services.successors(db_session, "1-000000100") == ["1-000000101"]


def test_one_audit_event_per_import_with_counts_and_file_name_only(db_session):
    before = len(_imported_events(db_session))
    import_file(db_session, ACTOR, DATA / "locations_wrapped.json")
    db_session.commit()
    events = _imported_events(db_session)
    assert len(events) == before + 1
    assert events[-1].details == {
        "file": "locations_wrapped.json",
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 1,
    }
    assert events[-1].actor == "system:tests"


def test_object_with_locations_array_reports_the_bad_item(db_session):
    result = import_file(db_session, ACTOR, DATA / "locations_wrapped.json")
    assert (result.inserted, result.skipped) == (2, 1)
    assert len(result.errors) == 1
    assert result.errors[0].startswith("item 2:")
    assert db_session.get(Location, "1-000000202").name == "Placeholder Homecare"


def test_json_lines_report_bad_lines_and_keep_the_good_ones(db_session):
    result = import_file(db_session, ACTOR, DATA / "locations.jsonl")
    assert (result.inserted, result.skipped) == (2, 2)
    assert [e.split(":")[0] for e in result.errors] == ["line 2", "line 3"]
    assert "registrationDate" in result.errors[0]
    assert db_session.get(Location, "1-000000302") is None
    rows, _ = services.search_locations(db_session, provider_id="1-000000902", limit=10)
    assert _ids(rows) == ["1-000000304", "1-000000301"]


def test_csv_rows_with_predecessors_and_service_types(db_session):
    result = import_file(db_session, ACTOR, DATA / "locations.csv")
    assert (result.inserted, result.skipped) == (3, 1)
    assert result.errors == ["line 4: location_id is missing"]
    new = db_session.get(Location, "1-000000401")
    assert new.postcode == "NE1 7RU"
    assert new.service_types == [
        "Care home service with nursing",
        "Care home service without nursing",
    ]
    assert db_session.get(Location, "1-000000400").registration_status == "Deregistered"
    assert services.predecessors(db_session, "1-000000401") == ["1-000000400"]
    assert _current(db_session, "1-000000400") == "1-000000401"


def test_reimport_updates_by_id_and_leaves_identical_rows_alone(db_session, tmp_path):
    first = datetime(2026, 1, 1, tzinfo=UTC)
    import_file(db_session, ACTOR, DATA / "locations.json", now=first)
    items = json.loads((DATA / "locations.json").read_text())
    items[0]["name"] = "Example Vale Medical Centre"
    items[0]["relationships"] = []
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(items))
    later = datetime(2026, 2, 1, tzinfo=UTC)
    result = import_file(db_session, ACTOR, changed, now=later)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 2)
    loc = db_session.get(Location, "1-000000101")
    assert loc.name_search == "example vale medical centre"
    assert loc.updated_at == later
    assert db_session.get(Location, "R9X01").updated_at == first
    assert services.predecessors(db_session, "1-000000101") == []
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(Location)
            .where(Location.id.in_(["1-000000100", "1-000000101", "R9X01"]))
        )
        == 3
    )


def test_a_repeated_id_in_one_file_applies_in_order(db_session, tmp_path):
    path = tmp_path / "twice.jsonl"
    first = {
        "locationId": "1-000000050",
        "name": "Example First",
        "relationships": [{"relatedLocationId": "1-000000049", "type": "HSCA Predecessor"}],
    }
    second = dict(first, name="Example Second")
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    result = import_file(db_session, ACTOR, path)
    assert (result.inserted, result.updated, result.skipped) == (1, 1, 0)
    assert db_session.get(Location, "1-000000050").name == "Example Second"
    assert services.predecessors(db_session, "1-000000050") == ["1-000000049"]


def test_csv_update_keeps_what_the_csv_does_not_carry(db_session, tmp_path):
    import_file(db_session, ACTOR, DATA / "locations.json")
    path = tmp_path / "update.csv"
    path.write_text("location_id,name,postcode\n1-000000101,Example Vale Surgery,EX1 2AD\n")
    result = import_file(db_session, ACTOR, path)
    assert result.updated == 1
    loc = db_session.get(Location, "1-000000101")
    assert loc.postcode == "EX1 2AD"
    assert loc.ratings["overall"] == "Good"
    assert loc.provider_id == "1-000000900"
    assert services.predecessors(db_session, "1-000000101") == ["1-000000100"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"locationId": "1-000000001", "name": "Example A"}, {"locationId": ', "item 2"),
        ('{\n  "total": 0\n}', "no 'locations' array"),
        ("id,title\n1,x\n", "header lacks location_id, name"),
        (b"\xff\xfe\x00\x01binary".decode("latin-1"), "not UTF-8 text"),
    ],
)
def test_broken_files_are_reported_not_raised(db_session, tmp_path, content, message):
    path = tmp_path / "broken.dat"
    path.write_bytes(content.encode("latin-1"))
    result = import_file(db_session, ACTOR, path)
    assert any(message in e for e in result.errors), result.errors
    assert result.errors[-1].startswith("file:")


def test_undecodable_bytes_in_a_csv_are_reported(db_session, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("location_id,name\n1-000000001,Café Example\n".encode("latin-1"))
    result = import_file(db_session, ACTOR, path)
    assert result.inserted == 0
    assert result.errors[0].startswith("file: could not be read further")


def test_gzipped_json_lines_are_read(db_session, tmp_path):
    path = tmp_path / "locations.jsonl.gz"
    path.write_bytes(gzip.compress((DATA / "locations.jsonl").read_bytes()))
    result = import_file(db_session, ACTOR, path)
    assert (result.inserted, result.skipped) == (2, 2)


def test_rows_before_a_json_break_are_kept(db_session, tmp_path):
    path = tmp_path / "truncated.json"
    path.write_text('[{"locationId": "1-000000001", "name": "Example A"}, {"locationId": ')
    result = import_file(db_session, ACTOR, path)
    assert result.inserted == 1
    assert db_session.get(Location, "1-000000001") is not None


@pytest.fixture
def registry(db_session):
    import_file(db_session, ACTOR, DATA / "locations.json")
    import_file(db_session, ACTOR, DATA / "locations_wrapped.json")
    import_file(db_session, ACTOR, DATA / "locations.csv")
    db_session.commit()
    return db_session


def _search(session, **kwargs):
    rows, _ = services.search_locations(session, limit=100, **kwargs)
    return _ids(rows)


def test_search_needs_every_word_of_the_name_in_any_order(registry):
    assert _search(registry, q="vale surgery") == ["1-000000100", "1-000000101"]
    assert _search(registry, q="Surgery, VALE") == ["1-000000100", "1-000000101"]
    assert _search(registry, q="surg") == ["1-000000100", "1-000000101"]
    assert _search(registry, q="st elsewhere's") == ["R9X01"]
    assert _search(registry, q="vale hospital") == []
    # Words match from their start, not inside other words.
    assert _search(registry, q="ale") == []


def test_search_by_full_postcode_district_and_sector(registry):
    assert _search(registry, postcode="ex12ab") == ["1-000000100", "1-000000101"]
    assert _search(registry, postcode="NE1") == ["1-000000400", "1-000000401"]
    assert _search(registry, postcode="ne1 7") == ["1-000000400", "1-000000401"]
    assert _search(registry, postcode="SW1A") == ["R9X01"]
    assert _search(registry, postcode="SW1") == ["R9X01"]
    assert _search(registry, postcode="E1") == []
    with pytest.raises(ValidationFailed):
        _search(registry, postcode="not-a-pc")


def test_search_by_provider_and_combined_filters(registry):
    assert _search(registry, provider_id="1-000000903") == ["1-000000400", "1-000000401"]
    assert _search(registry, provider_id="1-000000903", q="sample") == []
    assert _search(registry, provider_id="1-000000904", postcode="NE2") == ["1-000000402"]


def test_pages_cover_every_location_once_in_name_order(db_session):
    load_demo_registry(db_session, ACTOR, n=120, seed=3)
    all_rows = list(db_session.scalars(sa.select(Location)))
    seen: list[Location] = []
    after = None
    pages = 0
    while True:
        rows, after = services.search_locations(db_session, limit=7, after=after)
        seen.extend(rows)
        pages += 1
        if after is None:
            break
    assert pages == -(-len(all_rows) // 7)
    assert len(seen) == len({loc.id for loc in seen}) == len(all_rows)
    keys = [(loc.name_search, loc.id) for loc in seen]
    assert keys == sorted(keys)


def test_demo_registry_loads_through_the_importer(db_session):
    result = load_demo_registry(db_session, ACTOR, n=60, seed=11)
    # The generated locations and the named ones the examples use.
    total = 60 + len(example_locations())
    assert (result.inserted, result.skipped) == (total, 0)
    again = load_demo_registry(db_session, ACTOR, n=60, seed=11)
    db_session.commit()
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, total)
    assert _imported_events(db_session)[-1].details["file"] == "demo-registry"
    links = db_session.scalar(sa.select(sa.func.count()).select_from(LocationRelationship))
    assert links >= 2


def _chain(session, links, statuses):
    items = [
        {
            "locationId": loc_id,
            "name": f"Example Chain {loc_id}",
            "registrationStatus": statuses.get(loc_id, "Registered"),
            "relationships": [
                {"relatedLocationId": old, "type": "HSCA Predecessor"}
                for new, old in links
                if new == loc_id
            ],
        }
        for loc_id in sorted({i for pair in links for i in pair} | set(statuses))
    ]
    import_items(session, ACTOR, ((str(i), item) for i, item in enumerate(items)), source="t")


def test_resolve_current_follows_a_chain_of_two(db_session):
    # A → B → C: A and B deregistered, C the registration today.
    _chain(
        db_session,
        [("1-000000003", "1-000000002"), ("1-000000002", "1-000000001")],
        {"1-000000001": "Deregistered", "1-000000002": "Deregistered"},
    )
    for start in ("1-000000001", "1-000000002", "1-000000003"):
        assert _current(db_session, start) == "1-000000003"


def test_resolve_current_from_an_id_known_only_as_a_predecessor(db_session):
    import_items(
        db_session,
        ACTOR,
        [
            (
                "1",
                {
                    "locationId": "1-000000020",
                    "name": "Example New",
                    "relationships": [
                        {"relatedLocationId": "1-000000019", "type": "HSCA Predecessor"}
                    ],
                },
            )
        ],
        source="t",
    )
    assert _current(db_session, "1-000000019") == "1-000000020"
    assert services.resolve_current(db_session, "1-000000018") is None
    assert services.resolve_current(db_session, "bad id") is None


def test_resolve_current_survives_a_cycle(db_session):
    _chain(
        db_session,
        [("1-000000011", "1-000000012"), ("1-000000012", "1-000000011")],
        {"1-000000011": "Registered", "1-000000012": "Deregistered"},
    )
    assert _current(db_session, "1-000000012") == "1-000000011"
    assert _current(db_session, "1-000000011") == "1-000000011"


def test_resolve_current_prefers_the_registered_successor_of_a_split(db_session):
    _chain(
        db_session,
        [("1-000000032", "1-000000031"), ("1-000000033", "1-000000031")],
        {"1-000000031": "Deregistered", "1-000000032": "Deregistered"},
    )
    assert _current(db_session, "1-000000031") == "1-000000033"


def test_get_location_raises_not_found(db_session):
    with pytest.raises(NotFound):
        services.get_location(db_session, "1-999999999")
    with pytest.raises(NotFound):
        services.get_location(db_session, "../../etc")


def test_current_ids_follow_registrations_committed_since_they_were_last_read(
    db_session, make_location
):
    from hub.registry.lookup import current_locations

    make_location("1-100000001")
    assert current_locations(db_session, ["1-100000001", "1-100000002"]) == {
        "1-100000001": "1-100000001",
        "1-100000002": None,
    }
    make_location("1-100000002")  # an unknown id is not remembered as unknown
    make_location("1-100000003", predecessor="1-100000001")  # a re-registration
    assert current_locations(db_session, ["1-100000001", "1-100000002"]) == {
        "1-100000001": "1-100000003",
        "1-100000002": "1-100000002",
    }
