"""The forms' common pieces: Design System widgets without their empty hints, a date in three boxes with the
Design System's messages, phone and email checks, field builders, and the base form every form of the service
uses. The base form strips what is typed and fails, keeping every answer, when the request is held back: its form
token was missing or stale (webcommon.csrf), or the database failed while it was handled (the portal's error
handler runs the view again). The view runs as usual and shows the same form again; nothing is acted on."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import g
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovTextInput,
)
from wtforms import Field, PasswordField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from shared.domain.problems import Problem

# The one message for a form sent with a missing or stale token (the page was open across a sign-in, a session's
# end or a restart with a new key). Whatever the page, nothing on it has been acted on.
STALE_PAGE = (
    "This page was open too long, so nothing on it has been saved or sent yet. Check your answers and try again."
)
# The message for a form sent while the service could not reach its database: the page is shown again as it was.
NOT_SAVED = (
    "The service could not reach its records just now, so nothing on this page has been saved or sent yet. "
    "Check your answers and try again."
)
# A file is never kept when its page is shown again: the person chooses it again.
CHOOSE_FILE_AGAIN = "Select the file again"
# Set on `g` for a request whose form must not be acted on: the message that says why.
HELD = "form_held"


def hold(message: str) -> None:
    """This request's form must not be acted on (webcommon.csrf for a bad token; the portal's error handler when
    the database failed): its view runs as usual and the base form fails with `message`, keeping what was typed."""
    setattr(g, HELD, message)


def held() -> str | None:
    """Why this request's form must not be acted on, or None when it may be."""
    return g.get(HELD)


def _without_empty_hint(params: dict) -> dict:
    hint = params.get("hint") or {}
    if not (hint.get("text") or hint.get("html")):
        params.pop("hint", None)
    return params


class Radios(GovRadioInput):
    """Radios without the empty hint the package's widget adds when a field has no description."""

    def map_gov_params(self, field, **kwargs):
        return _without_empty_hint(super().map_gov_params(field, **kwargs))


class Checkboxes(GovCheckboxesInput):
    def map_gov_params(self, field, **kwargs):
        return _without_empty_hint(super().map_gov_params(field, **kwargs))


class CharacterCount(GovCharacterCount):
    """A text area that shows how many characters are left, using the field's own length limit."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        for validator in field.validators:
            if isinstance(validator, Length) and validator.max > 0:
                params.setdefault("maxlength", validator.max)
        return params


# Control characters other than tab and line breaks: nobody types them, and PostgreSQL refuses NUL in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip(value):
    return _CONTROL.sub("", value).strip() if isinstance(value, str) else value


def limit(label: str, maximum: int) -> Length:
    return Length(max=maximum, message=f"{label} must be {maximum:,} characters or fewer")


_NUMBER = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also accepts "²"


class DatePartsField(Field):
    """Day, month and year boxes (the Design System's date input). Parsing never raises: `problem` holds the
    Design System's message for what is wrong, and the form decides whether the date was needed at all."""

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, name_in_errors: str = "Date", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.name_in_errors = name_in_errors
        self.problem: str | None = None

    def process_data(self, value):
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                value = None
        self.data = value if isinstance(value, date) else None

    def process_formdata(self, valuelist):
        # A forged or partial post may send fewer than three parts: the widget needs exactly three.
        parts = [_CONTROL.sub("", str(part)).strip() for part in valuelist][:3]
        self.raw_data = parts + [""] * (3 - len(parts))
        self.data = None
        self.problem = None
        day, month, year = self.raw_data
        if not (day or month or year):
            return
        missing = [name for name, part in zip(("day", "month", "year"), self.raw_data, strict=True) if not part]
        if missing:
            self.problem = f"{self.name_in_errors} must include a {' and a '.join(missing)}"
        elif not (_NUMBER.fullmatch(day) and _NUMBER.fullmatch(month) and _NUMBER.fullmatch(year)):
            self.problem = f"{self.name_in_errors} must be a real date"
        elif len(year) != 4:
            self.problem = "Year must include 4 numbers"
        elif len(day) > 2 or len(month) > 2:
            self.problem = f"{self.name_in_errors} must be a real date"
        else:
            try:
                self.data = date(int(year), int(month), int(day))
            except ValueError:
                self.problem = f"{self.name_in_errors} must be a real date"

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""

    @property
    def is_empty(self) -> bool:
        return self.data is None and self.problem is None


def valid_phone(field) -> None:
    if not field.data:
        return
    message = "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
    try:
        number = phonenumbers.parse(field.data, "GB")
    except phonenumbers.NumberParseException:
        raise ValidationError(message) from None
    # Possible (the right length and shape for its country) rather than allocated: Ofcom keeps ranges such as
    # 07700 900xxx unallocated for examples and drama, and a real number may be newer than the library.
    uk_length_wrong = number.country_code == 44 and len(str(number.national_number)) not in (9, 10)
    if uk_length_wrong or not phonenumbers.is_possible_number(number):
        raise ValidationError(message)


def valid_email(field) -> None:
    if not field.data:
        return
    try:
        # Plain ASCII addresses only: not every council's mail relay takes internationalised ones.
        validate_email(field.data, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ValidationError("Enter an email address in the correct format, like name@example.com") from None


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def text(label: str, maximum: int | None = None, description: str = "", name: str | None = None, **kwargs):
    """A text input; `maximum` limits its length, named in the message as `name` (else the label)."""
    validators = [limit(name or label, maximum)] if maximum else []
    return StringField(label, widget=GovTextInput(), validators=validators, description=description, **kwargs)


def area(label: str, maximum: int | None = None, description: str = "", name: str | None = None, **kwargs):
    """A text area that counts the characters left when it has a `maximum`."""
    validators = [limit(name or label, maximum)] if maximum else []
    return TextAreaField(label, widget=CharacterCount(), validators=validators, description=description, **kwargs)


def radios(label: str, pairs, description: str = "") -> RadioField:
    # The service says what is wrong with a missing or forged choice, in the Design System's words.
    return RadioField(label, choices=choices(pairs), widget=Radios(), validate_choice=False, description=description)


class BaseForm(FlaskForm):
    """Every form of the service. Typed text is stripped of surrounding spaces and control characters; a form sent
    with a missing or stale token, or while the database cannot be reached, fails with the message that says so,
    keeping what was typed."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            typed = issubclass(unbound_field.field_class, StringField | TextAreaField)
            # A password is used exactly as typed: spaces at either end may be part of it.
            if typed and not issubclass(unbound_field.field_class, PasswordField):
                unbound_field.kwargs["filters"] = [*unbound_field.kwargs.get("filters", ()), strip]
            return unbound_field.bind(form=form, **options)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        token = self._fields.get("csrf_token")
        message = held() or (STALE_PAGE if token is not None and token.errors else None)
        if token is not None:
            token.errors = []  # the token is no field a person can fix: the message is about the page
        if message:
            self.refuse(message)
            for field in self:
                if isinstance(field, FileField):  # a file is never kept: the person chooses it again
                    field.errors = [CHOOSE_FILE_AGAIN]
            return False
        return valid

    def fresh(self) -> bool:
        """Validate, and show each date's own problem on its boxes: True when the answers may be acted on."""
        self.validate()
        for field in self:
            if isinstance(field, DatePartsField) and field.problem:
                field.errors = [field.problem]
        return not self.errors

    def show(self, problems: list[Problem]) -> None:
        """Put the service's problems on their fields; a field's own error (a date's boxes, a length) comes first."""
        for problem in problems:
            field = self._fields.get(problem.field) if problem.field else None
            if field is None:
                self.refuse(problem.message)
            elif not field.errors:
                field.errors = [problem.message]

    def refuse(self, message: str) -> None:
        """A message about the whole form, shown once at the top of the error summary."""
        if message not in self.form_errors:
            self.form_errors.append(message)
