from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

from shared.services.two_factor import normalise_code
from webcommon.forms import BaseForm


class SignInForm(BaseForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter your password"),
            Length(max=200, message="Password must be 200 characters or fewer"),
        ],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SignOutForm(BaseForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


class SecurityCodeForm(BaseForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the 6 digit security code"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_code(self, field):
        code = normalise_code(field.data)
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise ValidationError("The security code must be 6 digits")


class RecoveryCodeForm(BaseForm):
    code = StringField(
        "Recovery code",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a recovery code"),
            Length(max=40, message="Enter a recovery code as it was given to you, like abcde-23456"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())
