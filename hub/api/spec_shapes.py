"""Shapes in the OpenAPI document that client generators turn into types.

- A nullable nested object is written ``{"anyOf": [{"$ref": ...}, {"nullable": true, "enum":
  [null]}]}``, the reference or null: apispec's OpenAPI 3.0 form, ``anyOf`` an untyped nullable
  object and the reference, makes generated clients hand back a plain dict
  (``record.consent.scopes`` would fail).
- A field whose metadata names an ``enum_component`` refers to that one named enum, so every
  operation filtering by it shares one generated type instead of one copy each.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Api
from marshmallow import fields

from hub.exchange.records.models import RECORD_STATUSES

_UNTYPED_NULL = {"type": "object", "nullable": True}
# OpenAPI 3.0's null: nothing but null validates, and generators read it as "or None".
_NULL = {"nullable": True, "enum": [None]}

# Named enums, each one component.
ENUMS: dict[str, dict[str, Any]] = {
    "RecordStatus": {
        "type": "string",
        "enum": list(RECORD_STATUSES),
        "description": "A record's status: accepted (matched to a registry location), "
        "needs_reconciliation (waiting for one) or withdrawn (consent withdrawn).",
    },
}


def _typed(self: Any, field: fields.Field, ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    name = field.metadata.get("enum_component")
    if name:
        for key in ("type", "enum", "nullable", "default"):
            ret.pop(key, None)
        return {"$ref": f"#/components/schemas/{name}"}
    options = ret.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and _UNTYPED_NULL in options:
        ret.pop("anyOf")
        return {"anyOf": [*(o for o in options if o != _UNTYPED_NULL), _NULL]}
    return {}


def init_spec_shapes(api: Api) -> None:
    for name, schema in ENUMS.items():
        api.spec.components.schema(name, schema)
    api.ma_plugin.converter.add_attribute_function(_typed)
