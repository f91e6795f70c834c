"""A partner's exchange through a Python client generated from the committed spec alone.

openapi-python-client turns ``openapi/openapi.json`` into a package in a temporary folder (it is
never committed); the test imports it and drives a real ``hub serve`` on loopback with it, as a
partner developer who has only the spec would.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from openapi_python_client.strings import snake_case

from hub.exchange.datasets.rules import UTF8_BOM
from tests.fixtures.live_server import LiveHub, LiveParty

pytestmark = pytest.mark.e2e

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "hub_api_client"
RELEASE_CSV = b"trust,month,median_wait_days\nRXQ,2026-01,31\nRYJ,2026-01,28\n"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the committed spec, importable for this module."""
    folder = tmp_path_factory.mktemp("generated")
    config = folder / "generator.yml"
    # No formatter runs over the output: the code is imported, never read.
    config.write_text("post_hooks: []\n")
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(SPEC_PATH),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator reports what it could not model as warnings; a partner would lose those
    # operations.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def operation(spec: dict[str, Any], method: str, path: str) -> ModuleType:
    """The generated module of one operation, found the way the generator names it."""
    op = spec["paths"][path][method]
    tag = snake_case(op["tags"][0])
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{snake_case(op['operationId'])}")


def get_token(hub: LiveHub, party: LiveParty) -> str:
    """``POST /oauth/token`` with the client credentials in the body (client_secret_post)."""
    answer = httpx.post(
        f"{hub.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": party.client_id,
            "client_secret": party.client_secret,
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer"
    token: str = body["access_token"]
    return token


def record(partner_record_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "partner_record_id": partner_record_id,
        "location_id": "1-101010101",
        "service_type": "hospital-inpatient",
        "experience_date": "2026-05",
        "respondent_role": "patient",
        "collection_channel": "online",
        "overall_experience": 2,
        "sentiment": "positive",
        "key_questions": ["caring"],
        "condition_areas": ["cancer"],
        "themes": ["communication"],
        "narrative": "The oncology nurses explained every step of my treatment.",
        "equality": {"age_band": "55-64", "sex": "female"},
        "consent": {
            "scopes": ["regulator_use", "publish_anonymised", "feedback", "equality_monitoring"],
            "obtained_at": "2026-05-20T10:00:00Z",
            "method": "online",
            "lawful_basis": "consent",
        },
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def regulator(module_live_hub: LiveHub, tmp_path_factory: pytest.TempPathFactory) -> LiveParty:
    """One hub for the module: registered locations, the regulator and one published cancer
    dataset (each test has a charity of its own, so it sees only its own records)."""
    live_hub = module_live_hub
    tmp_path = tmp_path_factory.mktemp("world")
    registry = tmp_path / "locations.csv"
    registry.write_text(
        "location_id,provider_id,name,postcode,region,local_authority,registration_status,"
        "service_types,predecessor_id\n"
        "1-101010101,1-202020202,Example General Hospital,EX1 2AB,South West,Exampleport,"
        "Registered,Acute services with overnight beds,\n"
    )
    live_hub.cli("registry", "import", str(registry))
    rated = tmp_path / "rated.json"
    rated.write_text(
        json.dumps(
            [
                {
                    "locationId": "1-303030303",
                    "providerId": "1-202020202",
                    "name": "Example Hospice",
                    "postalCode": "EX2 3CD",
                    "registrationStatus": "Registered",
                    "currentRatings": {
                        "overall": {
                            "rating": "Good",
                            "reportDate": "2025-11-04",
                            "keyQuestionRatings": [
                                {"name": "Caring", "rating": "Outstanding"},
                                {"name": "Safe", "rating": "Good"},
                            ],
                        }
                    },
                }
            ]
        )
    )
    live_hub.cli("registry", "import", str(rated))
    regulator = live_hub.add_party("regulator", name="The Regulator", conditions=[])
    release = tmp_path / "cancer-waits.csv"
    release.write_bytes(RELEASE_CSV)
    live_hub.publish("cancer-waits", release, title="Cancer waits", condition_area="cancer")
    return regulator


@pytest.fixture
def parties(module_live_hub: LiveHub, regulator: LiveParty) -> dict[str, LiveParty]:
    """A new cancer charity of this test's own, and the module's regulator."""
    charity = module_live_hub.add_party(
        "charity", name=f"Example Cancer Charity {uuid.uuid4().hex[:6]}", conditions=["cancer"]
    )
    return {"charity": charity, "regulator": regulator}


@pytest.fixture
def client_for(
    generated: ModuleType, module_live_hub: LiveHub, parties: dict[str, LiveParty]
) -> Iterator[Callable[[str], Any]]:
    """Generated clients holding a fresh token of one party each; closed after the test."""
    opened: list[Any] = []

    def make(kind: str) -> Any:
        client = generated.AuthenticatedClient(
            base_url=module_live_hub.url,
            token=get_token(module_live_hub, parties[kind]),
            # A status the spec does not list raises instead of passing as None.
            raise_on_unexpected_status=True,
        )
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.get_httpx_client().close()


def test_a_partner_exchanges_data_through_the_generated_client(
    generated: ModuleType, spec: dict[str, Any], client_for: Callable[[str], Any]
) -> None:
    client = client_for("charity")
    models = importlib.import_module(f"{PACKAGE}.models")

    me = operation(spec, "get", "/api/v1/me").sync(client=client)
    assert me.organisation_kind == "charity"
    assert me.agreement.condition_areas == ["cancer"]

    batch = models.BatchIn.from_dict(
        {
            "records": [
                record("ecc-2026-0001"),
                record("ecc-2026-0002", narrative="Waited four hours for a scan result."),
                record("ecc-2026-0003", consent={"scopes": ["publish_anonymised"]}),
            ]
        }
    )
    answer = operation(spec, "post", "/api/v1/experiences/batch").sync(client=client, body=batch)
    assert isinstance(answer, models.BatchAnswer)
    assert (answer.accepted, answer.rejected) == (2, 1)
    assert [item.status for item in answer.results] == ["created", "created", "rejected"]
    assert answer.results[2].code == "consent-required"
    created = {item.partner_record_id: item.id for item in answer.results[:2]}

    page = operation(spec, "get", "/api/v1/experiences").sync(client=client, limit=10)
    assert {item.partner_record_id for item in page.items} == set(created)
    assert page.next_cursor is None

    withdrawn = operation(spec, "post", "/api/v1/experiences/{experience_id}/withdrawal").sync(
        client=client, experience_id=uuid.UUID(str(created["ecc-2026-0001"]))
    )
    assert withdrawn.status == "withdrawn"
    assert withdrawn.narrative is None
    assert withdrawn.equality is None
    still_given = operation(spec, "get", "/api/v1/experiences").sync(
        client=client, status=models.RecordStatus.WITHDRAWN
    )
    assert [item.partner_record_id for item in still_given.items] == ["ecc-2026-0001"]

    datasets = operation(spec, "get", "/api/v1/datasets").sync(client=client)
    assert [(d.slug, d.latest_version) for d in datasets.items] == [("cancer-waits", 1)]
    releases = operation(spec, "get", "/api/v1/datasets/{slug}/releases").sync(
        client=client, slug="cancer-waits"
    )
    assert releases.items[0].sha256 == hashlib.sha256(UTF8_BOM + RELEASE_CSV).hexdigest()

    download = operation(spec, "get", "/api/v1/datasets/{slug}/releases/{version}/file")
    got = download.sync_detailed(client=client, slug="cancer-waits", version=1)
    assert got.status_code == 200
    assert got.content == UTF8_BOM + RELEASE_CSV
    etag = got.headers["ETag"]
    assert etag == f'"{hashlib.sha256(got.content).hexdigest()}"'
    again = download.sync_detailed(
        client=client, slug="cancer-waits", version=1, if_none_match=etag
    )
    assert again.status_code == 304
    assert again.content == b""


def test_a_partner_reads_outcomes_through_the_generated_client(
    generated: ModuleType, spec: dict[str, Any], client_for: Callable[[str], Any]
) -> None:
    partner, regulator = client_for("charity"), client_for("regulator")
    models = importlib.import_module(f"{PACKAGE}.models")
    answer = operation(spec, "post", "/api/v1/experiences").sync(
        client=partner, body=models.ExperienceIn.from_dict(record("ecc-2026-0100"))
    )

    # "You said, we did": the regulator's outcome, from the spec's own request example.
    body = spec["paths"]["/api/v1/outcomes"]["post"]["requestBody"]["content"]["application/json"]
    outcome = {**body["example"], "record_ids": [str(answer.id)], "location_id": "1-101010101"}
    created = operation(spec, "post", "/api/v1/outcomes").sync_detailed(
        client=regulator, body=models.OutcomeIn.from_dict(outcome)
    )
    assert created.status_code == 201

    mine = operation(spec, "get", "/api/v1/outcomes").sync(client=partner)
    assert [item.summary for item in mine.items] == [outcome["summary"]]
    linked = operation(spec, "get", "/api/v1/experiences/{experience_id}/outcomes").sync(
        client=partner, experience_id=answer.id
    )
    assert [item.summary for item in linked.items] == [outcome["summary"]]


def test_generated_models_are_typed_all_the_way_down(
    generated: ModuleType, spec: dict[str, Any], client_for: Callable[[str], Any]
) -> None:
    """Nested objects come back as models with attributes, not dicts; the status filter is one
    enum."""
    partner = client_for("charity")
    models = importlib.import_module(f"{PACKAGE}.models")
    sent = record(
        "ecc-2026-0200", service={"name": "Example General Hospital", "postcode": "EX1 2AB"}
    )

    answer = operation(spec, "post", "/api/v1/experiences").sync(
        client=partner, body=models.ExperienceIn.from_dict(sent)
    )
    assert isinstance(answer, models.IntakeAnswer)
    assert isinstance(answer.consent, models.ConsentOut)
    assert "regulator_use" in answer.consent.scopes
    assert isinstance(answer.service, models.ServiceOut)
    assert (answer.service.name, answer.service.postcode) == ("Example General Hospital", "EX1 2AB")

    got = operation(spec, "get", "/api/v1/experiences/{experience_id}").sync(
        client=partner, experience_id=answer.id
    )
    assert isinstance(got, models.Experience)
    assert got.consent.scopes == answer.consent.scopes
    assert got.consent.method == "online"
    assert got.service.postcode == "EX1 2AB"

    listing = operation(spec, "get", "/api/v1/experiences")
    accepted = listing.sync(client=partner, status=models.RecordStatus.ACCEPTED)
    assert [item.partner_record_id for item in accepted.items] == ["ecc-2026-0200"]
    assert all(isinstance(item.consent, models.ConsentOut) for item in accepted.items)
    # One enum for the filter: the generated operation's parameter is that type, not a union.
    assert list(models.RecordStatus) == [
        models.RecordStatus(value) for value in ("accepted", "needs_reconciliation", "withdrawn")
    ]
    assert not [name for name in dir(models) if name.startswith("ListExperiencesStatus")]

    place = operation(spec, "get", "/api/v1/locations/{location_id}").sync(
        client=partner, location_id="1-303030303"
    )
    assert isinstance(place.ratings, models.Ratings)
    assert place.ratings.overall == "Good"
    assert place.ratings.report_date == "2025-11-04"
