"""Who may call what: every ``/api/v1`` operation with the status each kind of caller gets.

One row per (method, rule) of the app's URL map. ``scopes`` are the scopes of which a token
must hold one (empty: any valid token; ``None``: no token needed). A caller without a token
gets 401, a caller lacking every scope 403; ``expect`` gives the status for everyone else, who
may still be refused because the object is someone else's (404, never 403, so ids leak nothing)
or because their agreement does not allow the exchange (403 ``agreement-required``).

``target`` builds the request: the path (and body) for that caller. Object routes point at
partner A's objects, so partner A sees its own and everyone else someone else's.
"""

from __future__ import annotations

import io
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, csv_line
from tests.factories import experience_record

PARTNER_SCOPES = ("experiences:write", "experiences:read", "datasets:read")
REGULATOR_SCOPES = (
    "datasets:publish",
    "outcomes:write",
    "regulator:read",
    "audit:read",
    "datasets:read",
)


@dataclass(frozen=True)
class Caller:
    """Who calls: ``org`` is A (owner of the objects), B (another partner), C (a partner whose
    agreement covers other condition areas), D (a partner whose agreement has ended), R (the
    regulator) or U (an auditor); ``None`` for no token at all."""

    name: str
    org: str | None
    scopes: frozenset[str] = frozenset()

    def has(self, *scopes: str) -> bool:
        return any(s in self.scopes for s in scopes)

    @property
    def partner(self) -> bool:
        return self.org in {"A", "B", "C", "D"}


def _callers() -> list[Caller]:
    out = [Caller("anonymous", None)]
    out += [Caller(f"A[{s}]", "A", frozenset({s})) for s in PARTNER_SCOPES]
    out.append(Caller("A[all]", "A", frozenset(PARTNER_SCOPES)))
    out.append(Caller("B[all]", "B", frozenset(PARTNER_SCOPES)))
    out.append(Caller("C[all]: agreement for other areas", "C", frozenset(PARTNER_SCOPES)))
    out.append(Caller("D[all]: agreement ended", "D", frozenset(PARTNER_SCOPES)))
    out += [Caller(f"R[{s}]", "R", frozenset({s})) for s in REGULATOR_SCOPES]
    out.append(Caller("R[all]", "R", frozenset(REGULATOR_SCOPES)))
    out.append(Caller("U[audit:read]", "U", frozenset({"audit:read"})))
    return out


CALLERS = _callers()


class World(Protocol):
    """The objects the matrix points at (built once per module by the test)."""

    location_id: str
    experience_id: uuid.UUID
    withdrawable_id: uuid.UUID
    submission_id: uuid.UUID
    webhook_id: uuid.UUID
    alert_id: uuid.UUID
    covered_slug: str
    receipt_seq: int

    def fresh_webhook(self, org: str) -> uuid.UUID: ...

    def fresh_alert(self) -> uuid.UUID: ...


Request = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Entry:
    scopes: tuple[str, ...] | None
    target: Callable[[World, Caller], Request]
    expect: Callable[[Caller], int]
    # The route may not be registered yet (being built elsewhere): skip instead of failing.
    optional: bool = False
    notes: str = field(default="")


V1 = "/api/v1"


def at(path: str, **kwargs: Any) -> Callable[[World, Caller], Request]:
    """A fixed request; ``{name}`` in ``path`` is filled from the world's attributes."""

    def build(world: World, _caller: Caller) -> Request:
        values = {name: getattr(world, name) for name in _names(path)}
        return V1 + path.format(**values), dict(kwargs)

    return build


def _names(path: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(path) if name]


def always(status: int) -> Callable[[Caller], int]:
    return lambda _caller: status


def in_force(status: int) -> Callable[[Caller], int]:
    """``status`` unless the partner's agreement has ended (403 ``agreement-required``)."""
    return lambda c: 403 if c.org == "D" else status


def owner_or_regulator(status: int) -> Callable[[Caller], int]:
    """Partner A's object: A and the regulator (with ``regulator:read``) see it; others 404."""
    return lambda c: status if c.org == "A" or c.has("regulator:read") else 404


def owner_only(status: int) -> Callable[[Caller], int]:
    return lambda c: status if c.org == "A" else 404


def entitled(status: int) -> Callable[[Caller], int]:
    """A dataset for mental health: A, B and the regulator receive it; C's agreement does not
    cover it (404, as if it did not exist); D's has ended (403)."""
    return lambda c: {"C": 404, "D": 403}.get(c.org or "", status)


def receipt_expect(c: Caller) -> int:
    return 200 if c.org == "A" or c.has("audit:read") else 404


def new_record(_world: World, _caller: Caller) -> Request:
    return V1 + "/experiences", {"json": experience_record()}


def new_batch(_world: World, _caller: Caller) -> Request:
    return V1 + "/experiences/batch", {"json": {"records": [experience_record()]}}


def csv_bytes() -> bytes:
    rows = [dict(EXAMPLE_ROWS[0], partner_record_id=f"matrix-{uuid.uuid4().hex[:8]}")]
    text = csv_line(COLUMNS) + "".join(csv_line(r.get(c, "") for c in COLUMNS) for r in rows)
    return text.encode()


def new_csv(_world: World, _caller: Caller) -> Request:
    return V1 + "/submissions/csv", {
        "data": {"file": (io.BytesIO(csv_bytes()), "people.csv")},
        "content_type": "multipart/form-data",
    }


def new_release(world: World, _caller: Caller) -> Request:
    return V1 + f"/datasets/{world.covered_slug}/releases", {
        "data": {"file": (io.BytesIO(b"month,value\n2026-01,5\n"), "waits.csv")},
        "content_type": "multipart/form-data",
    }


def new_outcome(world: World, _caller: Caller) -> Request:
    body = {
        "kind": "used-in-inspection",
        "summary": "We inspected the ward and required improvements to discharge planning.",
        "location_id": world.location_id,
        "record_ids": [str(world.experience_id)],
        "occurred_on": "2026-01-15",
    }
    return V1 + "/outcomes", {"json": body}


def new_webhook(_world: World, _caller: Caller) -> Request:
    hook = {"url": "https://partner.example/hooks/hub", "events": ["dataset.released"]}
    return V1 + "/webhooks", {"json": hook}


def webhook_to_delete(world: World, caller: Caller) -> Request:
    # The owner deletes a webhook of its own made for the call; the others try A's standing one.
    endpoint = world.fresh_webhook("A") if caller.org == "A" else world.webhook_id
    return V1 + f"/webhooks/{endpoint}", {}


def alert_action(action: str, **kwargs: Any) -> Callable[[World, Caller], Request]:
    def build(world: World, caller: Caller) -> Request:
        alert = world.fresh_alert() if caller.has("regulator:read") else world.alert_id
        return V1 + f"/safeguarding/alerts/{alert}/{action}", dict(kwargs)

    return build


READ = ("experiences:read", "regulator:read")

MATRIX: dict[tuple[str, str], Entry] = {
    # Open to anyone: the API's description and its reference page.
    ("GET", "/api/v1/openapi.json"): Entry(None, at("/openapi.json"), always(200)),
    ("GET", "/api/v1/docs"): Entry(None, at("/docs"), always(200)),
    ("GET", "/api/v1/docs/static/<path:filename>"): Entry(
        None, at("/docs/static/docs.js"), always(200)
    ),
    # Any valid token.
    ("GET", "/api/v1/me"): Entry((), at("/me"), always(200)),
    ("GET", "/api/v1/locations"): Entry((), at("/locations?q=riverside"), always(200)),
    ("GET", "/api/v1/locations/<string:location_id>"): Entry(
        (), at("/locations/{location_id}"), always(200)
    ),
    ("GET", "/api/v1/audit/public-key"): Entry((), at("/audit/public-key"), always(200)),
    ("GET", "/api/v1/webhooks"): Entry((), at("/webhooks"), always(200)),
    ("POST", "/api/v1/webhooks"): Entry((), new_webhook, in_force(201)),
    ("GET", "/api/v1/webhooks/<uuid:endpoint_id>"): Entry(
        (), at("/webhooks/{webhook_id}"), owner_only(200)
    ),
    ("DELETE", "/api/v1/webhooks/<uuid:endpoint_id>"): Entry(
        (), webhook_to_delete, owner_only(204)
    ),
    ("GET", "/api/v1/webhooks/<uuid:endpoint_id>/deliveries"): Entry(
        (), at("/webhooks/{webhook_id}/deliveries"), owner_only(200)
    ),
    ("GET", "/api/v1/receipts/<int:seq>"): Entry(
        (), at("/receipts/{receipt_seq}"), receipt_expect, optional=True
    ),
    # Partners' exchanges.
    ("POST", "/api/v1/experiences"): Entry(("experiences:write",), new_record, in_force(201)),
    ("POST", "/api/v1/experiences/batch"): Entry(("experiences:write",), new_batch, in_force(200)),
    ("POST", "/api/v1/submissions/csv"): Entry(("experiences:write",), new_csv, in_force(202)),
    ("GET", "/api/v1/experiences"): Entry(READ, at("/experiences"), always(200)),
    ("GET", "/api/v1/experiences/<uuid:experience_id>"): Entry(
        READ, at("/experiences/{experience_id}"), owner_or_regulator(200)
    ),
    ("GET", "/api/v1/experiences/<uuid:experience_id>/consent-receipt"): Entry(
        ("experiences:read", "experiences:write", "regulator:read"),
        at("/experiences/{experience_id}/consent-receipt"),
        owner_or_regulator(200),
    ),
    ("GET", "/api/v1/experiences/<uuid:experience_id>/outcomes"): Entry(
        READ, at("/experiences/{experience_id}/outcomes"), owner_or_regulator(200)
    ),
    ("POST", "/api/v1/experiences/<uuid:experience_id>/withdrawal"): Entry(
        ("experiences:write",), at("/experiences/{withdrawable_id}/withdrawal"), owner_only(200)
    ),
    ("GET", "/api/v1/submissions"): Entry(READ, at("/submissions"), always(200)),
    ("GET", "/api/v1/submissions/<uuid:submission_id>"): Entry(
        READ, at("/submissions/{submission_id}"), owner_or_regulator(200)
    ),
    ("GET", "/api/v1/ledger"): Entry(READ, at("/ledger"), always(200)),
    ("GET", "/api/v1/outcomes"): Entry(READ, at("/outcomes"), always(200)),
    ("GET", "/api/v1/reconciliation/reports"): Entry(
        READ, at("/reconciliation/reports"), always(200)
    ),
    # Datasets.
    ("GET", "/api/v1/datasets"): Entry(("datasets:read",), at("/datasets"), in_force(200)),
    ("GET", "/api/v1/datasets/feed"): Entry(
        ("datasets:read",), at("/datasets/feed"), in_force(200)
    ),
    ("GET", "/api/v1/datasets/<string:slug>/releases"): Entry(
        ("datasets:read",), at("/datasets/{covered_slug}/releases"), entitled(200)
    ),
    ("GET", "/api/v1/datasets/<string:slug>/releases/<int:version>/file"): Entry(
        ("datasets:read",), at("/datasets/{covered_slug}/releases/1/file"), entitled(200)
    ),
    ("POST", "/api/v1/datasets/<string:slug>/releases"): Entry(
        ("datasets:publish",), new_release, always(201)
    ),
    # The regulator.
    ("POST", "/api/v1/outcomes"): Entry(("outcomes:write",), new_outcome, always(201)),
    ("GET", "/api/v1/insight/locations/<string:location_id>"): Entry(
        ("regulator:read",), at("/insight/locations/{location_id}"), always(200)
    ),
    ("GET", "/api/v1/safeguarding/alerts"): Entry(
        ("regulator:read",), at("/safeguarding/alerts"), always(200)
    ),
    ("GET", "/api/v1/safeguarding/alerts/<uuid:alert_id>"): Entry(
        ("regulator:read",), at("/safeguarding/alerts/{alert_id}"), always(200)
    ),
    ("POST", "/api/v1/safeguarding/alerts/<uuid:alert_id>/acknowledgement"): Entry(
        ("regulator:read",), alert_action("acknowledgement"), always(200)
    ),
    ("POST", "/api/v1/safeguarding/alerts/<uuid:alert_id>/referral"): Entry(
        ("regulator:read",),
        alert_action("referral", json={"reason": "Referred to the local authority."}),
        always(200),
    ),
    # Audit.
    ("GET", "/api/v1/audit/events"): Entry(("audit:read",), at("/audit/events"), always(200)),
    ("GET", "/api/v1/audit/verify"): Entry(("audit:read",), at("/audit/verify"), always(200)),
    ("GET", "/api/v1/audit/seals"): Entry(("audit:read",), at("/audit/seals"), always(200)),
    ("GET", "/api/v1/jobs/runs"): Entry(("audit:read",), at("/jobs/runs"), always(200)),
}


def expected(entry: Entry, caller: Caller) -> int:
    """The status ``caller`` must get from ``entry``'s operation."""
    if entry.scopes is None:
        return entry.expect(caller)
    if caller.org is None:
        return 401
    if entry.scopes and not caller.has(*entry.scopes):
        return 403
    return entry.expect(caller)
