"""``/api/v1/audit``: the audit log, its verification, its seals and the key that signs them."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hub.api.auth import require
from hub.api.docs import LIMIT_422, invalid_query_doc
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.api.schemas import PageSchema
from hub.audit.checks import verify_all
from hub.audit.keys import describe_keys, verification_keys
from hub.audit.queries import (
    EventFilter,
    event_dict,
    export_csv,
    list_events,
)
from hub.audit.sealing import describe_seal, list_seals
from hub.web import csv_download, current_actor, db, hub_context

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1",
    description="The hash-chained audit log, its verification and its signed seals.",
)

CSV = "text/csv"
PEM = "application/x-pem-file"


class EventArgs(PageArgs):
    action = fields.String(
        load_default=None,
        validate=validate.Length(max=61),
        metadata={"description": "An action (`dataset.downloaded`), or a noun and `.*`."},
    )
    organisation_id = fields.UUID(load_default=None)
    object_id = fields.String(load_default=None, validate=validate.Length(max=120))
    actor = fields.String(
        load_default=None,
        validate=validate.Length(max=120),
        metadata={"description": "`client:<client_id>`, `user:<id>` or `system:<name>`."},
    )
    since = fields.AwareDateTime(
        data_key="from",
        default_timezone=UTC,
        load_default=None,
        metadata={"description": "Events at or after this time (ISO 8601; UTC if no offset)."},
    )
    until = fields.AwareDateTime(
        data_key="to",
        default_timezone=UTC,
        load_default=None,
        metadata={"description": "Events before this time (exclusive)."},
    )
    order = fields.String(
        load_default="asc",
        validate=validate.OneOf(["asc", "desc"]),
        metadata={"description": "`asc` (chain order, the default) or `desc` (newest first)."},
    )


class AuditEventSchema(Schema):
    seq = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String()
    organisation_id = fields.UUID(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    outcome = fields.String()
    request_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    details = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String(
        metadata={"description": "sha256(prev_hash + canonical JSON of the event), hex."}
    )


class AuditEventPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema))


class HeadSchema(Schema):
    seq = fields.Integer()
    hash = fields.String()


class SealProblemSchema(Schema):
    upto_seq = fields.Integer()
    reason = fields.String()


class SealCheckSchema(Schema):
    checked = fields.Integer(metadata={"description": "Seals checked."})
    ok = fields.Boolean()
    latest_upto_seq = fields.Integer(allow_none=True)
    problems = fields.List(fields.Nested(SealProblemSchema))


class VerificationSchema(Schema):
    ok = fields.Boolean(metadata={"description": "The chain is whole and agrees with every seal."})
    events = fields.Integer(metadata={"description": "Events verified."})
    head = fields.Nested(HeadSchema)
    first_bad_seq = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    seals = fields.Nested(SealCheckSchema)


class SealBodySchema(Schema):
    upto_seq = fields.Integer()
    hash = fields.String()
    count = fields.Integer()
    sealed_at = fields.String()
    merkle_root = fields.String(
        metadata={
            "description": "RFC 9162 Merkle tree head over the hashes of events 1..upto_seq, "
            "hex; what receipts' inclusion proofs lead to. Absent from seals made before it."
        }
    )


class SealSchema(Schema):
    upto_seq = fields.Integer()
    sealed_at = fields.DateTime()
    seal = fields.Nested(
        SealBodySchema,
        metadata={"description": "Exactly what was signed (as canonical JSON)."},
    )
    alg = fields.String()
    key_id = fields.String()
    signature = fields.String(metadata={"description": "Ed25519 signature, base64."})
    storage_key = fields.String()
    object_sha256 = fields.String()


class SealPageSchema(PageSchema):
    items = fields.List(fields.Nested(SealSchema))


class JwkSchema(Schema):
    kty = fields.String()
    crv = fields.String()
    x = fields.String()
    kid = fields.String()
    use = fields.String()


class KeySchema(Schema):
    alg = fields.String()
    key_id = fields.String()
    public_key_pem = fields.String()
    public_key_b64 = fields.String(metadata={"description": "The 32 raw key bytes, base64."})
    jwk = fields.Nested(JwkSchema)


class ListedKeySchema(KeySchema):
    current = fields.Boolean(
        metadata={"description": "Signs new seals; a retired key only vouches for older ones."}
    )


class PublicKeySchema(KeySchema):
    keys = fields.List(
        fields.Nested(ListedKeySchema),
        metadata={
            "description": "Every key a seal may name in its `key_id`: the current key, then "
            "each retired key that still vouches for the seals it signed."
        },
    )


_HASH = "9f2c4e1ab37d5f60c8e2a9b4d1f7e3c5a0b6d8f2e4c1a3b5d7f9e0c2a4b6d8f1"
_EVENT = {
    "seq": 1841,
    "occurred_at": "2026-11-02T10:00:01.480000+00:00",
    "actor": "client:hub_3f9a2b7c1d4e5f6a7b8c9d0e",
    "organisation_id": "6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90",
    "action": "dataset.downloaded",
    "object_type": "dataset_release",
    "object_id": "experience-cancer/3",
    "outcome": "success",
    "request_id": "5d1e0f3a9c2b4d6e8f0a1b2c3d4e5f60",
    "ip": "203.0.113.7",
    "details": {"bytes": 18234},
    "prev_hash": "3b8e" + "0" * 60,
    "hash": _HASH,
}
_SEAL_BODY = {
    "upto_seq": 1840,
    "hash": _HASH,
    "count": 1840,
    "sealed_at": "2026-11-02T10:00:00.812000Z",
    "merkle_root": "5be2d7a90c4f13e86b2a7d0f9c3e1b4a6d8f0e2c4a6b8d0f1e3c5a7b9d1f3e5a",
}


_PEM_EXAMPLE = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
    "-----END PUBLIC KEY-----\n"
)
_CURRENT_KEY = {
    "alg": "Ed25519",
    "key_id": "4be1c0d29f3a7e65",
    "public_key_pem": _PEM_EXAMPLE,
    "public_key_b64": "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=",
    "jwk": {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE",
        "kid": "4be1c0d29f3a7e65",
        "use": "sig",
    },
}
_RETIRED_KEY = {
    "alg": "Ed25519",
    "key_id": "1eca60e62b6b7e08",
    "public_key_pem": "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAYsI+Lz0Kq0u7sTWkED8MR5T5v8J8arEX4v/gc2sUq80=\n"
    "-----END PUBLIC KEY-----\n",
    "public_key_b64": "YsI+Lz0Kq0u7sTWkED8MR5T5v8J8arEX4v/gc2sUq80=",
    "jwk": {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "YsI-Lz0Kq0u7sTWkED8MR5T5v8J8arEX4v_gc2sUq80",
        "kid": "1eca60e62b6b7e08",
        "use": "sig",
    },
}


def _filter(args: dict[str, Any]) -> EventFilter:
    return EventFilter(
        action=args["action"],
        organisation_id=args["organisation_id"],
        object_id=args["object_id"],
        actor=args["actor"],
        since=args["since"],
        until=args["until"],
    )


def _wants(alternative: str) -> bool:
    best = request.accept_mimetypes.best_match(["application/json", alternative])
    return best == alternative


@blp.route("/audit/events")
class AuditEvents(MethodView):
    @require("audit:read")
    @blp.doc(operationId="listAuditEvents")
    @blp.arguments(EventArgs, location="query")
    @blp.response(200, AuditEventPageSchema, example={"items": [_EVENT], "next_cursor": None})
    @blp.alt_response(
        200,
        schema={"type": "string"},
        content_type=CSV,
        description="The events as a page of JSON, or every match as CSV.",
        success=True,
        example="seq,occurred_at,actor,organisation_id,action,object_type,object_id,outcome,"
        "request_id,ip,details,prev_hash,hash\r\n1841,2026-11-02T10:00:01.480000+00:00,"
        "client:hub_3f9a2b7c1d4e5f6a7b8c9d0e,6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90,"
        'dataset.downloaded,dataset_release,experience-cancer/3,success,…,203.0.113.7,"{""bytes"":'
        ' 18234}",3b8e…,9f2c…\r\n',
    )
    @blp.alt_response(
        422,
        **invalid_query_doc("/api/v1/audit/events", "from", "Not a valid datetime."),
    )
    def get(self, args: dict[str, Any]) -> Any:
        """The audit log, filtered, in pages; with `Accept: text/csv`, every match as a file.

        The CSV export ignores `limit` and `cursor`, is itself audited (`audit.exported`), and
        prefixes any cell starting with `=`, `+`, `-`, `@`, tab or carriage return with `'` so
        that no spreadsheet runs it as a formula.
        """
        where = _filter(args)
        if _wants(CSV):
            return _export(where)
        rows, next_key = list_events(
            db(),
            where,
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
            descending=args["order"] == "desc",
        )
        return page_body([event_dict(ev) for ev in rows], next_key)


def _export(where: EventFilter) -> Response:
    # Recorded in the request's transaction, which commits before any line leaves; the lines
    # are read in sessions of their own (none stays open while the client reads).
    lines = export_csv(db(), current_actor(), where, reader=hub_context().session_factory)
    return csv_download(lines, "audit-events.csv")


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @require("audit:read")
    @blp.doc(
        operationId="verifyAuditChain",
        description="Recomputes every event's hash from the first, and checks the chain against "
        "every signed seal in object storage, so that a rewritten database is caught too. "
        "`first_bad_seq` and `reason` say where and why the chain breaks; `seals.problems` "
        "lists seals that do not verify or disagree with the chain.",
    )
    @blp.response(
        200,
        VerificationSchema,
        example={
            "ok": True,
            "events": 1841,
            "head": {"seq": 1841, "hash": _HASH},
            "first_bad_seq": None,
            "reason": None,
            "seals": {"checked": 23, "ok": True, "latest_upto_seq": 1840, "problems": []},
        },
    )
    def get(self) -> dict[str, Any]:
        """Recompute the whole chain and check it against every signed seal."""
        # The token lookup's transaction holds SQLite's write lock, and verify_all reads in a
        # session of its own: it would wait for this one until the busy timeout.
        db().rollback()
        chain, seals = verify_all(hub_context())
        body = chain.to_dict()
        body["ok"] = chain.ok and seals.ok
        body["seals"] = seals.to_dict()
        return body


@blp.route("/audit/seals")
class AuditSeals(MethodView):
    @require("audit:read")
    @blp.doc(
        operationId="listAuditSeals",
        description="The audit-seal job signs a checkpoint `{upto_seq, hash, count, sealed_at, "
        "merkle_root}` of the chain every hour with the hub's Ed25519 key and stores it in object "
        "storage (seals made before `merkle_root` existed lack it). "
        "Check a seal's `signature` over the canonical JSON of its `seal` with the key its "
        "`key_id` names in `GET /api/v1/audit/public-key` (current or retired).",
    )
    @blp.arguments(PageArgs, location="query")
    @blp.alt_response(422, **invalid_query_doc("/api/v1/audit/seals", *LIMIT_422))
    @blp.response(
        200,
        SealPageSchema,
        example={
            "items": [
                {
                    "upto_seq": 1840,
                    "sealed_at": "2026-11-02T10:00:00.812000+00:00",
                    "seal": _SEAL_BODY,
                    "alg": "Ed25519",
                    "key_id": "4be1c0d29f3a7e65",
                    "signature": "base64 of 64 bytes",
                    "storage_key": "audit/seals/000000001840.json",
                    "object_sha256": "…",
                }
            ],
            "next_cursor": None,
        },
    )
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Signed checkpoints of the chain, newest first; verify them with the public key."""
        rows, next_key = list_seals(db(), limit=args["limit"], after=decode_cursor(args["cursor"]))
        return page_body([describe_seal(row) for row in rows], next_key)


@blp.route("/audit/public-key")
class AuditPublicKey(MethodView):
    @require()
    @blp.doc(operationId="getAuditPublicKey")
    @blp.response(
        200,
        PublicKeySchema,
        example={
            **_CURRENT_KEY,
            "keys": [{**_CURRENT_KEY, "current": True}, {**_RETIRED_KEY, "current": False}],
        },
    )
    @blp.alt_response(
        200,
        schema={"type": "string"},
        content_type=PEM,
        description="The public key as JSON, or as PEM.",
        success=True,
        example=_PEM_EXAMPLE,
    )
    def get(self) -> Any:
        """The Ed25519 public key that signs the audit seals, and the retired keys.

        JSON by default: the current key's fields, and `keys`, every key a seal may name in its
        `key_id` (the current one, then each retired key that still vouches for the seals it
        signed before a key rotation). The current key's PEM alone with
        `Accept: application/x-pem-file`. A seal verifies when its `signature` is valid, with
        the key its `key_id` names, over the canonical JSON (sorted keys, no whitespace,
        UTF-8) of its `seal` object.
        """
        described = _public_key()
        if _wants(PEM):
            return Response(str(described["public_key_pem"]), mimetype=PEM)
        return described


def _public_key() -> dict[str, Any]:
    ctx = hub_context()
    cached: dict[str, Any] | None = ctx.extras.get("audit_public_key")
    if cached is None:
        cached = describe_keys(verification_keys(ctx.settings))
        ctx.extras["audit_public_key"] = cached
    return cached
