"""Liveness and readiness probes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from hub.web import db, hub_context

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database (and storage, once configured) can be reached."""
    checks: dict[str, str] = {}
    try:
        db().execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except sa.exc.SQLAlchemyError:
        checks["database"] = "unreachable"
    storage_check = hub_context().extras.get("storage_check")
    if storage_check is not None:
        try:
            storage_check()
            checks["storage"] = "ok"
        except Exception:
            checks["storage"] = "unreachable"
    ok = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if ok else "unavailable", "checks": checks}), (
        200 if ok else 503
    )
