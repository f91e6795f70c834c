"""The authorisation matrix: every API operation by every kind of caller → the status it gets.

The operations come from the app's URL map, so a new endpoint without a row in
:data:`tests.security.matrix.MATRIX` fails here, as does a row for an endpoint that is gone.
One app and one set of objects serve the whole module; each operation is a test that calls it
as every caller and reports every mismatch at once.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from hub.actor import system
from hub.app import build_app
from hub.config import Settings
from hub.context import HubContext
from hub.identity import services as identity
from hub.identity.models import SCOPES_BY_KIND
from hub.registry.models import Location
from tests.factories import experience_record
from tests.security.matrix import CALLERS, MATRIX, Caller, csv_bytes, expected, new_outcome

ACTOR = system("tests")
IGNORED_METHODS = {"HEAD", "OPTIONS"}
LOCATION_ID = "1-000000001"
UNSET = uuid.UUID(int=0)
CONCERN = {"concern": True, "immediate_risk": False, "categories": ["neglect"]}


def api_operations(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in (rule.methods or set()) - IGNORED_METHODS
    }


@dataclass
class MatrixWorld:
    app: Flask
    client: FlaskClient
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    location_id: str = LOCATION_ID
    experience_id: uuid.UUID = UNSET
    withdrawable_id: uuid.UUID = UNSET
    submission_id: uuid.UUID = UNSET
    webhook_id: uuid.UUID = UNSET
    alert_id: uuid.UUID = UNSET
    covered_slug: str = "mental-health-waits"
    receipt_seq: int = 0

    def token(self, org: str, scopes: frozenset[str] | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scopes is not None:
            data["scope"] = " ".join(sorted(scopes))
        answer = self.client.post("/oauth/token", data=data, auth=self.credentials[org])
        assert answer.status_code == 200, answer.get_json()
        value: str = answer.get_json()["access_token"]
        return value

    def headers(self, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(org)}"}

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def submit(self, org: str, **overrides: Any) -> uuid.UUID:
        answer = self.client.post(
            "/api/v1/experiences", json=experience_record(**overrides), headers=self.headers(org)
        )
        assert answer.status_code == 201, answer.get_json()
        return uuid.UUID(answer.get_json()["id"])

    def fresh_webhook(self, org: str) -> uuid.UUID:
        hook = {"url": "https://partner.example/hooks/own", "events": ["dataset.released"]}
        answer = self.client.post("/api/v1/webhooks", json=hook, headers=self.headers(org))
        assert answer.status_code == 201, answer.get_json()
        return uuid.UUID(answer.get_json()["id"])

    def fresh_alert(self) -> uuid.UUID:
        record = self.submit("A", safeguarding=CONCERN)
        alerts = self.client.get(
            "/api/v1/safeguarding/alerts?limit=500", headers=self.headers("R")
        ).get_json()["items"]
        [alert] = [a for a in alerts if a["experience_id"] == str(record)]
        return uuid.UUID(alert["id"])


@pytest.fixture(scope="module")
def world(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatrixWorld]:
    folder: Path = tmp_path_factory.mktemp("matrix")
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    settings = Settings(
        database_url=str(engine.url),
        storage_url=f"file://{folder / 'storage'}",
        instance_path=str(folder / "instance"),
        secret_key="matrix-secret-key-not-for-production",
        testing=True,
        token_rate_limit="100000 per minute",
    )
    app = build_app(context=HubContext(settings=settings, engine=engine, session_factory=factory))
    w = MatrixWorld(app=app, client=app.test_client())

    session = factory()
    orgs = {
        "A": ("charity", ["mental-health"], None),
        "B": ("charity", ["mental-health"], None),
        "C": ("healthwatch", ["dementia"], None),
        "D": ("community_group", ["mental-health"], date(2021, 12, 31)),
        "R": ("regulator", [], None),
        "U": ("auditor", [], None),
    }
    for key, (kind, areas, valid_to) in orgs.items():
        org = identity.create_organisation(
            session,
            ACTOR,
            name=f"Matrix {key} {uuid.uuid4().hex[:6]}",
            kind=kind,
            condition_areas=areas,
            valid_from=date(2020, 1, 1),
            valid_to=valid_to,
        )
        new = identity.create_client(
            session, ACTOR, organisation_id=org.id, scopes=sorted(SCOPES_BY_KIND[kind])
        )
        w.credentials[key] = (new.client.client_id, new.client_secret)
    session.add(
        Location(
            id=LOCATION_ID,
            name="Riverside Ward",
            name_search="riverside ward",
            postcode="SW1A 1AA",
            registration_status="Registered",
            service_types=[],
            regulated_activities=[],
            inspection_categories=[],
        )
    )
    session.commit()
    session.close()

    w.experience_id = w.submit("A", safeguarding=CONCERN)
    w.withdrawable_id = w.submit("A")
    upload = w.client.post(
        "/api/v1/submissions/csv",
        data={"file": (io.BytesIO(csv_bytes()), "people.csv")},
        content_type="multipart/form-data",
        headers=w.headers("A"),
    )
    assert upload.status_code == 202, upload.get_json()
    w.submission_id = uuid.UUID(upload.get_json()["submission_id"])
    w.webhook_id = w.fresh_webhook("A")
    for slug, area in ((w.covered_slug, "mental-health"), ("cancer-waits", "cancer")):
        published = w.client.post(
            f"/api/v1/datasets/{slug}/releases",
            data={
                "file": (io.BytesIO(b"month,value\n2026-01,5\n"), "w.csv"),
                "title": f"Waits ({area})",
                "condition_area": area,
            },
            content_type="multipart/form-data",
            headers=w.headers("R"),
        )
        assert published.status_code == 201, published.get_json()
    path, kwargs = new_outcome(w, CALLERS[0])
    outcome = w.client.post(path, headers=w.headers("R"), **kwargs)
    assert outcome.status_code == 201, outcome.get_json()
    alerts = w.client.get("/api/v1/safeguarding/alerts?limit=500", headers=w.headers("R"))
    [alert] = [a for a in alerts.get_json()["items"] if a["experience_id"] == str(w.experience_id)]
    w.alert_id = uuid.UUID(alert["id"])
    events = w.client.get(
        f"/api/v1/audit/events?object_id={w.experience_id}", headers=w.headers("R")
    ).get_json()["items"]
    w.receipt_seq = next(e["seq"] for e in events if e["action"] == "experience.created")
    w.tokens = {c.name: w.token(c.org, c.scopes) for c in CALLERS if c.org is not None}
    yield w
    outer.rollback()
    connection.close()


def test_every_api_operation_has_a_row_and_every_row_an_operation(world: MatrixWorld) -> None:
    operations = api_operations(world.app)
    missing = sorted(operations - set(MATRIX))
    assert not missing, f"add these operations to tests/security/matrix.py: {missing}"
    gone = sorted(
        key for key, entry in MATRIX.items() if key not in operations and not entry.optional
    )
    assert not gone, f"these rows name operations that no longer exist: {gone}"


def call(world: MatrixWorld, method: str, caller: Caller, path: str, kwargs: dict[str, Any]) -> Any:
    headers = {}
    if caller.org is not None:
        headers["Authorization"] = f"Bearer {world.tokens[caller.name]}"
    return world.call(method, path, headers, **kwargs)


@pytest.mark.parametrize(("method", "rule"), sorted(MATRIX), ids=lambda v: str(v))
def test_operation_answers_each_caller_as_the_matrix_says(
    world: MatrixWorld, method: str, rule: str
) -> None:
    entry = MATRIX[(method, rule)]
    if (method, rule) not in api_operations(world.app):
        assert entry.optional
        pytest.skip(f"{method} {rule} is not registered yet")
    wrong = []
    for caller in CALLERS:
        path, kwargs = entry.target(world, caller)
        response = call(world, method, caller, path, kwargs)
        response.close()
        want = expected(entry, caller)
        if response.status_code != want:
            body = response.get_json(silent=True) or {}
            wrong.append(
                f"{caller.name}: {response.status_code} (want {want}) {body.get('code', '')}"
            )
            continue
        if want == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), caller.name
        if want >= 400:
            assert response.mimetype == "application/problem+json", (caller.name, path)
    assert not wrong, f"{method} {rule}:\n" + "\n".join(wrong)


LISTINGS = {
    "/api/v1/experiences?limit=500": "experience_id",
    "/api/v1/submissions?limit=500": "submission_id",
    "/api/v1/webhooks?limit=500": "webhook_id",
}


@pytest.mark.parametrize("path", sorted(LISTINGS))
def test_listings_show_own_objects_and_never_someone_elses(world: MatrixWorld, path: str) -> None:
    wanted = str(getattr(world, LISTINGS[path]))

    def ids(caller: str) -> set[str]:
        headers = {"Authorization": f"Bearer {world.tokens[caller]}"}
        answer = world.client.get(path, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return {item["id"] for item in answer.get_json()["items"]}

    assert wanted in ids("A[all]")
    for other in ("B[all]", "C[all]: agreement for other areas", "D[all]: agreement ended"):
        assert wanted not in ids(other), other


def test_outcomes_reach_only_the_partner_whose_record_they_touch(world: MatrixWorld) -> None:
    def outcome_records(caller: str) -> set[str]:
        headers = {"Authorization": f"Bearer {world.tokens[caller]}"}
        items = world.client.get("/api/v1/outcomes?limit=500", headers=headers).get_json()["items"]
        return {str(r) for item in items for r in item.get("record_ids", [])}

    assert str(world.experience_id) in outcome_records("A[all]")
    assert str(world.experience_id) not in outcome_records("B[all]")
