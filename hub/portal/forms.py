"""Portal forms: Flask-WTF (CSRF token included) rendered by the GOV.UK Frontend widgets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovPasswordInput,
    GovRadioInput,
    GovTextInput,
)
from wtforms import DateField, EmailField, PasswordField, RadioField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Regexp,
    StopValidation,
)

from hub.identity import accounts


class SignInForm(FlaskForm):
    # Only the shape is checked here: whether the account exists is never told apart.
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter your email address"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
            Regexp(
                r"^[^@\s]+@[^@\s]+$",
                message="Enter an email address in the correct format, like name@example.com",
            ),
        ],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Enter your password"),
            Length(max=1000, message="Password must be 1000 characters or fewer"),
        ],
    )


class NewPasswordForm(FlaskForm):
    """A new password typed twice, with the account rules' lengths (reset, invitation, account)."""

    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters. A few unrelated words "
        "make a good one.",
        validators=[
            DataRequired(message="Enter a new password"),
            Length(
                min=accounts.MIN_PASSWORD_LENGTH,
                max=accounts.MAX_PASSWORD_LENGTH,
                message=f"Password must be between {accounts.MIN_PASSWORD_LENGTH} and "
                f"{accounts.MAX_PASSWORD_LENGTH} characters",
            ),
        ],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Confirm your new password"),
            EqualTo("password", message="Enter the same new password twice"),
        ],
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change something (sign out)."""


DATE_PARTS = ("day", "month", "year")


class GovDateParts(GovDateInput):
    """GOV.UK's date input that highlights only the parts of a date that are wrong: the day,
    month or year that is missing or cannot be right, or all three when the date as a whole is
    (nothing entered, or no real date however it is read)."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        # ``required`` is not an attribute a <div> has; the error message says what is needed.
        params.get("attributes", {}).pop("required", None)
        wrong = set(field.parts_wrong()) if isinstance(field, GovDateField) else set(DATE_PARTS)
        for part, item in zip(DATE_PARTS, params["items"], strict=True):
            classes = [c for c in item["classes"].split() if c != "govuk-input--error"]
            if field.errors and part in wrong:
                classes.append("govuk-input--error")
            item["classes"] = " ".join(classes)
        return params


class GovDateField(DateField):
    """A date typed as day, month and year (GOV.UK's date input), said wrong in plain words
    that name it: "The date of the action must be a real date", "... must include a month".

    ``named`` is what the messages call the date (``the date of the action``); ``required``
    asks for it with "Enter the date of the action" when nothing is typed. The widget reads
    exactly three values, so a post with fewer or more is padded or cut.
    """

    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[Any] | None = None,
        *,
        named: str,
        required: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("widget", GovDateParts())
        super().__init__(label, validators, **kwargs)
        self.named = named
        self.required = required
        # The message this field's own reading gave, and the parts of the date it is about.
        self._said: tuple[str, tuple[str, ...]] | None = None

    @property
    def named_as_subject(self) -> str:
        return self.named[:1].upper() + self.named[1:]

    def parts_wrong(self) -> tuple[str, ...]:
        """The day, month or year the first error is about (all three for the whole date):
        the parts highlighted, and the first of them the one the error summary links to."""
        if self._said is not None and self.errors and self.errors[0] == self._said[0]:
            return self._said[1]
        return DATE_PARTS

    def _wrong(self, message: str, parts: Sequence[str]) -> ValueError:
        self._said = (message, tuple(parts))
        return ValueError(message)

    def process_formdata(self, valuelist: list[Any]) -> None:
        parts = [str(v).strip() for v in [*valuelist, "", "", ""][:3]]
        self.raw_data = parts
        self.data = None
        self._said = None
        if not any(parts):
            return
        missing = [name for name, part in zip(DATE_PARTS, parts, strict=True) if not part]
        if missing:
            raise self._wrong(
                f"{self.named_as_subject} must include a {' and '.join(missing)}", missing
            )
        numbers = [int(p) if p.isascii() and p.isdigit() else None for p in parts]
        day, month, year = numbers
        wrong = [
            name
            for name, ok in (
                ("day", day is not None and 1 <= day <= 31),
                ("month", month is not None and 1 <= month <= 12),
                ("year", year is not None),
            )
            if not ok
        ]
        if wrong:
            # One part that cannot be right is highlighted alone; more, and the date is.
            raise self._wrong(
                f"{self.named_as_subject} must be a real date",
                wrong if len(wrong) == 1 else DATE_PARTS,
            )
        assert day is not None and month is not None and year is not None
        if len(parts[2]) != 4:
            raise self._wrong(
                f"{self.named_as_subject} must include a year with 4 numbers", ["year"]
            )
        try:
            self.data = date(year, month, day)
        except ValueError:
            # Like 31 2 2026: no one part is wrong on its own, so the date as a whole is.
            raise self._wrong(f"{self.named_as_subject} must be a real date", DATE_PARTS) from None

    def pre_validate(self, form: Any) -> None:
        if self.required and not any(self.raw_data or ()):
            raise StopValidation(f"Enter {self.named}")


def error_messages(messages: Iterable[str | None]) -> list[str]:
    """A service's sentences as GOV.UK error messages, which end without a full stop."""
    return [m.rstrip(".") for m in messages if m]


def error_summary(form: FlaskForm) -> dict[str, Any]:
    """The GOV.UK error summary of a form's errors, in the order the page shows the fields
    (a form whose fields are defined in another order names it in ``page_order``), each linking
    to the input to mend: a date's link goes to the first of its day, month and year that is
    wrong, not to the group."""
    wrong = [field for field in form if field.errors]
    order = {name: index for index, name in enumerate(getattr(form, "page_order", ()))}
    wrong.sort(key=lambda field: order.get(field.name, len(order)))
    items = []
    for field in wrong:
        if isinstance(field, GovDateField):
            href = f"#{field.name}-{field.parts_wrong()[0]}"
        else:
            href = f"#{field.id}"
        items.append({"text": field.errors[0], "href": href})
    return {"titleText": "There is a problem", "errorList": items}


NOT_AN_OPTION = "Select one of the options shown"


class GovRadioField(RadioField):
    """GOV.UK radio buttons; a value that is none of them (a stale or altered form) is said
    as an unanswered question is, in the field's own words, never as "Not a valid choice"."""

    def __init__(self, label: str | None = None, validators: Sequence[Any] = (), **kwargs: Any):
        asks = (DataRequired, InputRequired)
        said = [v.message for v in validators if isinstance(v, asks) and v.message]
        kwargs.setdefault("invalid_choice_message", said[0] if said else NOT_AN_OPTION)
        kwargs.setdefault("widget", GovRadioInput())
        super().__init__(label, list(validators), **kwargs)
