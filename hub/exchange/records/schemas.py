"""The experience record of CONTRACT §4 as marshmallow schemas (shape only).

Checks that need data or the time (vocabularies, dates not in the future, consent) are made in
``hub.exchange.records.validation``, so these schemas stay reusable for documentation and the
CSV path.
"""

from __future__ import annotations

import re
from datetime import UTC, date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.consent.rules import CONSENT_SCOPES
from hub.privacy.generalise import normalise_postcode

MAX_NARRATIVE = 10_000
MAX_LIST = 20

# `1-` and 8 to 11 digits (the regulator's registry) or an ODS-style `R` code of 3 to 5 characters.
LOCATION_ID = re.compile(r"1-[0-9]{8,11}|R[A-Z0-9]{2,4}")
_PARTNER_ID = re.compile(r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _partner_id_shape(value: str) -> None:
    if not _PARTNER_ID.fullmatch(value):
        raise ValidationError("No control characters or surrounding spaces.")


class ExperienceDate(fields.Field[tuple[date, str]]):
    """``YYYY-MM-DD`` or ``YYYY-MM``; loads as (first day it covers, "day" or "month")."""

    default_error_messages = {"invalid": "Use YYYY-MM-DD, or YYYY-MM when only the month is known."}

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> tuple[date, str]:
        if isinstance(value, str):
            try:
                if m := _DAY.fullmatch(value):
                    return date(int(m[1]), int(m[2]), int(m[3])), "day"
                if m := _MONTH.fullmatch(value):
                    return date(int(m[1]), int(m[2]), 1), "month"
            except ValueError:
                pass
        raise self.make_error("invalid")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        day, precision = value
        return f"{day:%Y-%m}" if precision == "month" else day.isoformat()


class LocationId(fields.String):
    """A registry id; ODS-style codes are upper-cased."""

    default_error_messages = {
        "invalid_id": "Not a location id: use the registry's id, 1- and 8 to 11 digits (as "
        "1-545611283), or an NHS trust's code, R and 2 to 4 letters or digits (as RXQ02)."
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text[:1] in ("r", "R"):
            text = text.upper()
        if not LOCATION_ID.fullmatch(text):
            raise self.make_error("invalid_id")
        return text


def _text(max_len: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(1, max_len), **kwargs)


def _optional(max_len: int = 60) -> fields.String:
    return _text(max_len, load_default=None, allow_none=True)


def _slug_list() -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(1, 60)),
        load_default=list,
        validate=validate.Length(max=MAX_LIST),
    )


class ServiceInSchema(Schema):
    name = _text(
        300, required=True, metadata={"description": "The service as the person named it."}
    )
    postcode = fields.String(
        load_default=None, allow_none=True, metadata={"description": "UK postcode of the service."}
    )

    @validates_schema
    def _postcode(self, data: dict[str, Any], **kwargs: Any) -> None:
        postcode = data.get("postcode")
        if postcode is not None:
            normal = normalise_postcode(postcode)
            if normal is None:
                raise ValidationError("Not a UK postcode.", "postcode")
            data["postcode"] = normal


class SafeguardingInSchema(Schema):
    concern = fields.Boolean(load_default=False)
    immediate_risk = fields.Boolean(load_default=False)
    categories = _slug_list()


class EqualityInSchema(Schema):
    age_band = _optional()
    sex = _optional()
    ethnic_group = _optional()
    disability = _optional()


class ConsentInSchema(Schema):
    scopes = fields.List(
        fields.String(validate=validate.OneOf(list(CONSENT_SCOPES))),
        required=True,
        metadata={"description": "Must include `regulator_use`."},
    )
    obtained_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    method = _optional(40)
    lawful_basis = _text(40, load_default="consent")
    notice_version = _optional(100)


class ExperienceInSchema(Schema):
    """One experience record; unknown fields are refused by name."""

    partner_record_id = fields.String(
        required=True,
        validate=[
            validate.Length(1, 100),
            _partner_id_shape,
        ],
        metadata={"description": "The partner's own id for the record (1 to 100 characters)."},
    )
    location_id = LocationId(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Registry id (`1-…` or ODS `R…`).",
            "pattern": r"^(1-[0-9]{8,11}|R[A-Z0-9]{2,4})$",
        },
    )
    service = fields.Nested(ServiceInSchema, load_default=None, allow_none=True)
    service_type = _optional()
    experience_date = ExperienceDate(
        required=True,
        metadata={
            "description": "`YYYY-MM-DD` or `YYYY-MM`, not in the future.",
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$",
        },
    )
    respondent_role = _optional()
    collection_channel = _optional()
    overall_experience = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(1, 5),
        metadata={"description": "Friends and Family Test scale: 1 very good … 5 very poor."},
    )
    sentiment = _optional(20)
    key_questions = _slug_list()
    condition_areas = _slug_list()
    themes = _slug_list()
    narrative = fields.String(
        required=True,
        validate=validate.Length(1, MAX_NARRATIVE),
        metadata={"description": "In the person's own words (1 to 10,000 characters)."},
    )
    safeguarding = fields.Nested(SafeguardingInSchema, load_default=None, allow_none=True)
    equality = fields.Nested(EqualityInSchema, load_default=None, allow_none=True)
    consent = fields.Nested(ConsentInSchema, required=True)

    @validates_schema
    def _where_and_what(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("location_id") is None and data.get("service") is None:
            errors["location_id"] = ["Give location_id, or service with a name and postcode."]
        narrative = data.get("narrative")
        if isinstance(narrative, str) and not narrative.strip():
            errors["narrative"] = ["Must not be blank."]
        if errors:
            raise ValidationError(errors)


class BatchInSchema(Schema):
    """The envelope of a batch; each record is validated on its own."""

    records = fields.List(fields.Nested(ExperienceInSchema), required=True)
