"""Portal forms: Flask-WTF (CSRF token included) rendered by the GOV.UK Frontend widgets."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, Regexp


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


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change something (sign out)."""
