"""``/api/v1/receipts``: an exchange's audit receipt, with its inclusion proof once sealed."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from hub.api.audit import SealBodySchema
from hub.api.auth import require
from hub.api.docs import problem_doc
from hub.audit.receipts import get_receipt
from hub.errors import NotFound
from hub.web import current_actor, db

blp = Blueprint(
    "receipts",
    __name__,
    url_prefix="/api/v1",
    description="Receipts for exchanges, checkable offline against the signed audit seals.",
)

MAX_SEQ = 2**63 - 1


class ReceiptRefSchema(Schema):
    """Where an exchange's receipt is: its audit event's seq and hash."""

    audit_seq = fields.Integer(metadata={"description": "Fetch `GET /receipts/{audit_seq}`."})
    hash = fields.String(metadata={"description": "The audit event's hash, hex."})


class ReceiptEventSchema(Schema):
    """The event exactly as its hash covers it."""

    seq = fields.Integer()
    occurred_at = fields.String(metadata={"description": "UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`."})
    actor = fields.String(metadata={"description": "`client:<client_id>`, `user:<id>`, ..."})
    organisation_id = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    outcome = fields.String()
    request_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True, metadata={"description": "Where the request came from."})
    details = fields.Dict(metadata={"description": "Ids, counts and codes; never personal data."})


class ReceiptSealSchema(Schema):
    alg = fields.String()
    key_id = fields.String()
    seal = fields.Nested(SealBodySchema, metadata={"description": "Exactly what was signed."})
    signature = fields.String(metadata={"description": "Ed25519 signature, base64."})


class ProofSchema(Schema):
    leaf_index = fields.Integer(metadata={"description": "`seq - 1`."})
    tree_size = fields.Integer(metadata={"description": "The seal's `upto_seq`."})
    audit_path = fields.List(
        fields.String(),
        metadata={"description": "RFC 9162 inclusion path, hex, nearest the leaf first."},
    )


class ReceiptSchema(Schema):
    seq = fields.Integer()
    hash = fields.String(metadata={"description": "sha256(prev_hash + canonical JSON of event)."})
    prev_hash = fields.String()
    event = fields.Nested(ReceiptEventSchema)
    sealed = fields.Boolean(metadata={"description": "A seal covers the event: proof is given."})
    seal = fields.Nested(
        ReceiptSealSchema,
        allow_none=True,
        metadata={"description": "The earliest seal with a Merkle root that covers the event."},
    )
    proof = fields.Nested(
        ProofSchema,
        allow_none=True,
        metadata={"description": "From the event's leaf to `seal.seal.merkle_root`."},
    )


_EXAMPLE = {
    "seq": 1841,
    "hash": "9f2c4e1ab37d5f60c8e2a9b4d1f7e3c5a0b6d8f2e4c1a3b5d7f9e0c2a4b6d8f1",
    "prev_hash": "3b8e5c0d2f4a6b8c0e1d3f5a7b9c1e3d5f7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c",
    "event": {
        "seq": 1841,
        "occurred_at": "2026-11-02T10:00:01.480000Z",
        "actor": "client:hub_3f9a2b7c1d4e5f6a7b8c9d0e",
        "organisation_id": "6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90",
        "action": "submission.completed",
        "object_type": "submission",
        "object_id": "3d6f0c2a-9b1e-4c7d-8a5f-2e4b6c8d0f1a",
        "outcome": "success",
        "request_id": "5d1e0f3a9c2b4d6e8f0a1b2c3d4e5f60",
        "ip": "203.0.113.7",
        "details": {
            "channel": "batch",
            "declared": 120,
            "accepted": 117,
            "replayed": 0,
            "rejected": 3,
        },
    },
    "sealed": True,
    "seal": {
        "alg": "Ed25519",
        "key_id": "4be1c0d29f3a7e65",
        "seal": {
            "upto_seq": 1852,
            "hash": "0c4e6a8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a4c",
            "count": 1852,
            "sealed_at": "2026-11-02T11:00:00.812000Z",
            "merkle_root": "5be2d7a90c4f13e86b2a7d0f9c3e1b4a6d8f0e2c4a6b8d0f1e3c5a7b9d1f3e5a",
        },
        "signature": "base64 of 64 bytes",
    },
    "proof": {
        "leaf_index": 1840,
        "tree_size": 1852,
        "audit_path": [
            "e1a4c7f0b3d6e9a2c5f8b1d4e7a0c3f6b9d2e5a8c1f4b7d0e3a6c9f2b5d8e1a4",
            "7c0f3a6d9b2e5c8f1a4d7b0e3c6f9a2d5b8e1c4f7a0d3b6e9c2f5a8d1b4e7c0f",
            "2d5a8c1f4b7e0d3a6c9f2b5e8d1a4c7f0b3e6d9a2c5f8b1e4d7a0c3f6b9e2d5a",
        ],
    },
}


@blp.route(
    "/receipts/<int:seq>",
    parameters=[
        {
            "in": "path",
            "name": "seq",
            "description": "The audit event's `seq`: a submission's `receipt.audit_seq`, or the "
            "`seq` of a download's `Hub-Receipt` header.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_SEQ},
        }
    ],
)
class Receipt(MethodView):
    @require()
    @blp.doc(
        operationId="getReceipt",
        description="The receipt of one exchange: its audit event exactly as hashed, so that "
        "`hash == sha256(prev_hash + canonical JSON of event)` can be recomputed (sorted keys, "
        "no whitespace, UTF-8). Once the audit-seal job has sealed the chain past the event "
        "(hourly), `seal` is the earliest signed seal covering it and `proof` the RFC 9162 "
        "inclusion path from the event's leaf (SHA-256 of 0x00 and the hash's bytes) to "
        "`seal.seal.merkle_root`; until then both are null and `sealed` is false. Check it "
        "all offline with `scripts/verify_receipt.py` and the key from "
        "`GET /api/v1/audit/public-key` (docs/receipts.md). Your organisation's exchanges "
        "(submissions, records, withdrawals, releases, downloads, webhook deliveries) are "
        "yours to read; `audit:read` reads any event. Any other seq answers 404.",
    )
    @blp.response(200, ReceiptSchema, example=_EXAMPLE)
    @blp.alt_response(
        404,
        **problem_doc(
            "not-found",
            "No such event, or not one of the caller's exchanges.",
            detail="No such receipt.",
            instance="/api/v1/receipts/1841",
        ),
    )
    def get(self, seq: int) -> dict[str, Any]:
        """An exchange's receipt: its audit event, and once sealed, the seal and a proof."""
        if not 1 <= seq <= MAX_SEQ:
            raise NotFound("No such receipt.")
        return get_receipt(db(), current_actor(), seq)
