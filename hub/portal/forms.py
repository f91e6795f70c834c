"""Portal forms: Flask-WTF (CSRF token included) rendered by the GOV.UK Frontend widgets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovRadioInput, GovTextInput
from wtforms import DateField, EmailField, PasswordField, RadioField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp

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


class GovDateField(DateField):
    """A date typed as day, month and year (GOV.UK's date input), said wrong in plain words.

    The widget reads exactly three values, so a post with fewer or more is padded or cut.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        parts = [str(v).strip() for v in [*valuelist, "", "", ""][:3]]
        self.raw_data = parts
        if not any(parts):
            self.data = None
            return
        try:
            day, month, year = (int(p) for p in parts)
            self.data = date(year, month, day)
        except ValueError:
            self.data = None
            raise ValueError("Enter a real date, like 27 3 2026") from None


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
