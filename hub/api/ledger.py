"""``/api/v1/ledger``: what an organisation gave the exchange and got back, month by month."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields

from hub.api.auth import require
from hub.api.docs import problem_doc
from hub.exchange.ledger import services as ledger
from hub.web import current_actor, db

blp = Blueprint(
    "ledger",
    __name__,
    url_prefix="/api/v1",
    description="The reciprocity ledger: records given, data and outcomes received.",
)

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Month(fields.Field[date]):
    """A calendar month written ``YYYY-MM``, loaded as its first day."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        match = _MONTH.match(value) if isinstance(value, str) else None
        if match is None:
            raise ValidationError("Give a month as YYYY-MM.")
        return date(int(match[1]), int(match[2]), 1)


class LedgerArgs(Schema):
    from_ = Month(
        data_key="from",
        load_default=None,
        metadata={"description": "First month (YYYY-MM); default eleven months before `to`."},
    )
    to = Month(load_default=None, metadata={"description": "Last month (YYYY-MM); default now."})
    organisation_id = fields.UUID(
        load_default=None,
        metadata={"description": "The regulator: one partner's ledger (default: all together)."},
    )


class LedgerMonthSchema(Schema):
    month = fields.String(metadata={"description": "YYYY-MM (UTC)."})
    records_submitted = fields.Integer()
    records_accepted = fields.Integer()
    records_rejected = fields.Integer()
    records_withdrawn = fields.Integer()
    releases_received = fields.Integer()
    outcomes_received = fields.Integer()
    closed = fields.Boolean(
        metadata={
            "description": "True: the month is closed and these are its figures as it closed, "
            "which never change. False: computed now (the current month, or a past one not "
            "closed yet)."
        }
    )


class LedgerSchema(Schema):
    organisation_id = fields.UUID(
        allow_none=True, metadata={"description": "Whose ledger; null: every partner's together."}
    )
    months = fields.List(fields.Nested(LedgerMonthSchema))


_EXAMPLE = {
    "organisation_id": "6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90",
    "months": [
        {
            "month": "2026-10",
            "records_submitted": 120,
            "records_accepted": 117,
            "records_rejected": 3,
            "records_withdrawn": 1,
            "releases_received": 2,
            "outcomes_received": 4,
            "closed": True,
        }
    ],
}


@blp.route("/ledger")
class Ledger(MethodView):
    @require("experiences:read", "regulator:read")
    @blp.doc(
        operationId="getLedger",
        description="Per month (UTC): records the caller submitted, accepted and rejected "
        "(from its submissions), records withdrawn, dataset releases it received and "
        "outcomes it was told of. A partner sees only its own ledger; the regulator sees "
        "every partner's together, or one with `organisation_id`. A month is closed by the "
        "reconcile job once it is over (and an hour has passed, and no upload made in it is "
        "still processing): from then on it answers the figures it closed with (`closed`: "
        "true), so a consent withdrawn later counts in the month of the withdrawal and no "
        "longer lowers an earlier month's outcomes. The current month, and a past one not yet "
        "closed, are computed live (`closed`: false).",
    )
    @blp.arguments(LedgerArgs, location="query")
    @blp.response(200, LedgerSchema, example=_EXAMPLE)
    @blp.alt_response(
        404,
        **problem_doc(
            "not-found",
            "No such organisation, or not the caller's.",
            detail="No such organisation.",
            instance="/api/v1/ledger",
        ),
    )
    @blp.alt_response(
        422,
        **problem_doc(
            "validation-failed",
            "A query parameter is not valid; `errors` names it.",
            detail="Some fields are not valid.",
            instance="/api/v1/ledger",
            errors={"from": ["Give a month as YYYY-MM."]},
        ),
    )
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your organisation's exchange with the hub, month by month."""
        return ledger.ledger(
            db(),
            current_actor(),
            first=args["from_"],
            last=args["to"],
            organisation_id=args["organisation_id"],
        )
