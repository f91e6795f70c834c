"""``/api/v1/locations``: any valid token may search the registry and read one location."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.actor import system
from hub.demo.registry import load_demo_registry
from hub.registry.importer import import_file
from hub.registry.models import Location

DATA = Path(__file__).resolve().parents[1] / "data" / "registry"
PROBLEM = "application/problem+json"


@pytest.fixture
def registry(db_session):
    import_file(db_session, system("tests"), DATA / "locations.json")
    import_file(db_session, system("tests"), DATA / "locations.csv")
    db_session.commit()


@pytest.fixture
def headers(registry, make_party, auth_headers):
    return auth_headers(make_party("charity"))


@pytest.mark.parametrize("path", ["/api/v1/locations", "/api/v1/locations/1-000000101"])
def test_no_token_is_401_problem(client, registry, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("kind", ["charity", "regulator", "auditor"])
def test_any_valid_token_may_search(client, registry, make_party, auth_headers, kind):
    response = client.get(
        "/api/v1/locations", query_string={"q": "vale"}, headers=auth_headers(make_party(kind))
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [i["location_id"] for i in body["items"]] == ["1-000000100", "1-000000101"]
    assert body["next_cursor"] is None


def test_search_items_carry_the_summary(client, headers):
    body = client.get(
        "/api/v1/locations", query_string={"postcode": "EX1", "q": "surgery"}, headers=headers
    ).get_json()
    current = body["items"][1]
    assert current == {
        "location_id": "1-000000101",
        "name": "Example Vale Surgery",
        "provider_id": "1-000000900",
        "postcode": "EX1 2AB",
        "region": "South West",
        "local_authority": "Exampleport",
        "registration_status": "Registered",
        "service_types": ["Doctors/GPs"],
        "overall_rating": "Good",
    }


def test_search_by_provider(client, headers):
    body = client.get(
        "/api/v1/locations", query_string={"provider_id": "1-000000903"}, headers=headers
    ).get_json()
    assert [i["location_id"] for i in body["items"]] == ["1-000000400", "1-000000401"]


def test_cursor_walks_every_page_once(client, db_session, make_party, auth_headers):
    load_demo_registry(db_session, system("tests"), n=45, seed=5)
    db_session.commit()
    stored = db_session.scalar(sa.select(sa.func.count()).select_from(Location))
    assert stored >= 45
    headers = auth_headers(make_party("healthwatch"))
    ids: list[str] = []
    cursor = None
    while True:
        query = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/locations", query_string=query, headers=headers).get_json()
        ids.extend(i["location_id"] for i in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(ids) == len(set(ids)) == stored


@pytest.mark.parametrize(
    "query",
    [{"postcode": "nonsense!"}, {"limit": 0}, {"limit": 501}, {"cursor": "@@@"}],
)
def test_bad_search_arguments_are_422(client, headers, query):
    response = client.get("/api/v1/locations", query_string=query, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation-failed"


def test_one_location_with_links_ratings_and_activities(client, headers):
    response = client.get("/api/v1/locations/1-000000101", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["predecessor_ids"] == ["1-000000100"]
    assert body["successor_ids"] == []
    assert body["current_location_id"] == "1-000000101"
    assert body["provider_name"] == "Example Vale Health Partnership"
    assert body["address"] == "1 Example Road, Valeside, Exampleport"
    assert body["registration_date"] == "2013-04-01"
    assert body["ratings"] == {
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
    assert body["regulated_activities"][1] == {
        "name": "Diagnostic and screening procedures",
        "code": "RA6",
    }


def test_deregistered_location_points_to_its_successor(client, headers):
    body = client.get("/api/v1/locations/1-000000100", headers=headers).get_json()
    assert body["registration_status"] == "Deregistered"
    assert body["deregistration_date"] == "2013-03-31"
    assert body["predecessor_ids"] == []
    assert body["successor_ids"] == ["1-000000101"]
    assert body["current_location_id"] == "1-000000101"
    assert body["ratings"] is None


def test_ods_style_id_is_found(client, headers):
    body = client.get("/api/v1/locations/R9X01", headers=headers).get_json()
    assert body["name"] == "Fictional Ward, St Elsewhere Hospital"
    assert body["provider_id"] == "R9X"


@pytest.mark.parametrize(
    "location_id",
    ["1-999999999", "RZZ99", "not%20an%20id", "1-00000010%27", "x" * 21, "%2E%2E"],
)
def test_unknown_or_malformed_id_is_404_problem(client, headers, location_id):
    response = client.get(f"/api/v1/locations/{location_id}", headers=headers)
    assert response.status_code == 404
    assert response.content_type == PROBLEM
    assert response.get_json()["code"] == "not-found"
