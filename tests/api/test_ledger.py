"""``GET /api/v1/ledger``: the counts match what each partner gave and got, month by month."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.context import HubContext
from hub.exchange.datasets.models import Delivery
from hub.exchange.ledger.services import add_months, counts_by_organisation, month_start
from hub.exchange.outcomes.models import Outcome
from hub.exchange.records.models import Submission
from hub.identity.models import Organisation
from hub.jobs.runner import run_job

URL = "/api/v1/ledger"
ZERO = {
    "records_submitted": 0,
    "records_accepted": 0,
    "records_rejected": 0,
    "records_withdrawn": 0,
    "releases_received": 0,
    "outcomes_received": 0,
    "closed": False,
}


@pytest.fixture
def charity(make_party):
    return make_party("charity", conditions=["mental-health"])


@pytest.fixture
def a(charity, auth_headers):
    return auth_headers(charity)


@pytest.fixture
def b(make_party, auth_headers):
    return auth_headers(make_party("healthwatch"))


@pytest.fixture
def regulator(make_party, auth_headers):
    return auth_headers(make_party("regulator"))


def test_the_months_counts_match_what_happened(client, a, b, charity, regulator, make_record):
    month = f"{datetime.now(UTC):%Y-%m}"
    records = [make_record() for _ in range(4)]
    records[1]["consent"]["scopes"] = ["feedback"]  # no regulator_use: rejected
    batch = client.post("/api/v1/experiences/batch", json={"records": records}, headers=a)
    assert batch.status_code == 200, batch.get_json()
    ids = [r["id"] for r in batch.get_json()["results"] if r["status"] == "created"]
    assert len(ids) == 3
    assert client.post(f"/api/v1/experiences/{ids[0]}/withdrawal", headers=a).status_code == 200

    published = client.post(
        "/api/v1/datasets/mh-survey/releases",
        data={
            "file": (io.BytesIO(b"org_code,score\nXA1,80\n"), "mh.csv"),
            "title": "Mental health survey",
            "condition_area": "mental-health",
        },
        headers=regulator,
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()
    download = client.get("/api/v1/datasets/mh-survey/releases/1/file", headers=a)
    assert download.status_code == 200

    outcome = client.post(
        "/api/v1/outcomes",
        json={
            "kind": "informed-monitoring",
            "summary": "Your accounts were read by the team that monitors this service.",
            "record_ids": ids[1:],
            "occurred_on": "2026-02-20",
        },
        headers=regulator,
    )
    assert outcome.status_code == 201, outcome.get_json()

    expected = {
        "month": month,
        "records_submitted": 4,
        "records_accepted": 3,
        "records_rejected": 1,
        "records_withdrawn": 1,
        "releases_received": 1,
        "outcomes_received": 1,
        "closed": False,
    }
    mine = client.get(f"{URL}?from={month}&to={month}", headers=a)
    assert mine.status_code == 200, mine.get_json()
    assert mine.get_json() == {"organisation_id": str(charity.id), "months": [expected]}

    as_regulator = client.get(
        f"{URL}?from={month}&to={month}&organisation_id={charity.id}", headers=regulator
    ).get_json()
    assert as_regulator["months"] == [expected]
    everyone = client.get(f"{URL}?from={month}&to={month}", headers=regulator).get_json()
    assert everyone["organisation_id"] is None
    assert everyone["months"][0]["records_accepted"] >= 3

    theirs = client.get(f"{URL}?from={month}&to={month}", headers=b).get_json()
    assert theirs["months"] == [{"month": month, **ZERO}]


def test_a_partner_cannot_read_another_partners_ledger(client, a, charity, make_party):
    other = make_party("charity")
    response = client.get(f"{URL}?organisation_id={other.id}", headers=a)
    assert response.status_code == 404
    assert client.get(f"{URL}?organisation_id={charity.id}", headers=a).status_code == 200


def test_every_month_of_the_range_is_listed(client, a):
    body = client.get(f"{URL}?from=2025-11&to=2026-02", headers=a).get_json()
    assert [m["month"] for m in body["months"]] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert all(m == {"month": m["month"], **ZERO} for m in body["months"])
    default = client.get(URL, headers=a).get_json()["months"]
    assert len(default) == 12 and default[-1]["month"] == f"{datetime.now(UTC):%Y-%m}"


@pytest.mark.parametrize(
    "query", ["from=2026-13", "to=26-01", "from=2026-03&to=2026-01", "from=2000-01&to=2026-01"]
)
def test_bad_ranges_are_422(client, a, query):
    response = client.get(f"{URL}?{query}", headers=a)
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation-failed"


# --- closed months ------------------------------------------------------------------------------


def _submit(client, headers, make_record, n):
    batch = client.post(
        "/api/v1/experiences/batch",
        json={"records": [make_record() for _ in range(n)]},
        headers=headers,
    )
    assert batch.status_code == 200, batch.get_json()
    return [r["id"] for r in batch.get_json()["results"]]


def _move_everything_to(db_session, when):
    """As if the organisations and their exchanges so far had all happened at ``when``."""
    for column in (
        Organisation.created_at,
        Submission.created_at,
        Delivery.delivered_at,
        Outcome.created_at,
    ):
        db_session.execute(sa.update(column.class_).values({column: when}))
    db_session.commit()


def test_a_closed_month_keeps_the_figures_it_closed_with(
    client, a, b, charity, regulator, make_record, db_session, settings, engine, session_factory
):
    ours = _submit(client, a, make_record, 2)
    [theirs] = _submit(client, b, make_record, 1)
    published = client.post(
        "/api/v1/datasets/mh-survey/releases",
        data={
            "file": (io.BytesIO(b"org_code,score\nXA1,80\n"), "mh.csv"),
            "title": "Mental health survey",
            "condition_area": "mental-health",
        },
        headers=regulator,
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()
    assert client.get("/api/v1/datasets/mh-survey/releases/1/file", headers=a).status_code == 200
    outcome = client.post(
        "/api/v1/outcomes",
        json={
            "kind": "informed-monitoring",
            "summary": "Your accounts were read by the team that monitors this service.",
            "record_ids": [ours[0], theirs],
            "occurred_on": "2026-02-20",
        },
        headers=regulator,
    )
    assert outcome.status_code == 201, outcome.get_json()
    # Two months back: a month that is over and settled whatever the time of day now.
    this_month = month_start(datetime.now(UTC).date())
    past = add_months(this_month, -2)
    _move_everything_to(db_session, datetime(past.year, past.month, 15, 12, tzinfo=UTC))
    month = f"{past:%Y-%m}"
    query = f"{URL}?from={month}&to={month}"

    live = client.get(query, headers=a).get_json()["months"]
    assert live == [
        {
            "month": month,
            "records_submitted": 2,
            "records_accepted": 2,
            "records_rejected": 0,
            "records_withdrawn": 0,
            "releases_received": 1,
            "outcomes_received": 1,
            "closed": False,
        }
    ]

    ctx = HubContext(settings=settings, engine=engine, session_factory=session_factory)
    run = run_job(ctx, "reconcile")
    assert run.status == "succeeded", run.error
    assert month in run.stats["ledger_months_closed"]
    closed = client.get(query, headers=a).get_json()["months"]
    assert closed == [{**live[0], "closed": True}]

    # Withdrawn after the close: it counts this month, and the closed month does not move,
    # though computed live today that month would have relayed no outcome to this partner.
    assert client.post(f"/api/v1/experiences/{ours[0]}/withdrawal", headers=a).status_code == 200
    assert counts_by_organisation(db_session, past)[charity.id]["outcomes_received"] == 0
    months = client.get(f"{URL}?from={month}&to={this_month:%Y-%m}", headers=a).get_json()
    assert months["months"][0] == closed[0]
    assert months["months"][-1]["records_withdrawn"] == 1
    assert months["months"][-1]["closed"] is False

    # Each partner reads only its own closed months; the regulator reads them summed.
    assert client.get(query, headers=b).get_json()["months"] == [
        {
            **ZERO,
            "month": month,
            "records_submitted": 1,
            "records_accepted": 1,
            "outcomes_received": 1,
            "closed": True,
        }
    ]
    [everyone] = client.get(query, headers=regulator).get_json()["months"]
    assert everyone == {
        **ZERO,
        "month": month,
        "records_submitted": 3,
        "records_accepted": 3,
        "releases_received": 1,
        "outcomes_received": 2,
        "closed": True,
    }

    assert run_job(ctx, "reconcile").stats["ledger_months_closed"] == []
    assert client.get(query, headers=a).get_json()["months"] == closed
    events = db_session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "ledger.month_closed")
        .order_by(AuditEvent.seq)
    ).all()
    assert [e.object_id for e in events] == [month, f"{add_months(past, 1):%Y-%m}"]
