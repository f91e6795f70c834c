"""Generate the OpenAPI document from the code (``make openapi`` writes openapi/openapi.json)."""

from __future__ import annotations

import json
import tempfile
from typing import Any

from hub.app import build_app
from hub.config import Settings


def generate_spec() -> dict[str, Any]:
    """The OpenAPI document as the running code describes it (no database is touched)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url="sqlite://",
            storage_url=f"file://{tmp}/storage",
            instance_path=tmp,
            secret_key="spec-generation",  # noqa: S106 - throwaway app, never serves
        )
        app = build_app(settings)
        with app.app_context():
            spec: dict[str, Any] = app.extensions["flask-smorest"]["apis"][""][
                "ext_obj"
            ].spec.to_dict()
    return spec


def render() -> str:
    return json.dumps(generate_spec(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
