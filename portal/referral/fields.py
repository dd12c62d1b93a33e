"""Form pieces for the report's pages: a date field with the Design System's own error messages, phone and
email checks, and a base form that strips whitespace and carries the honeypot."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovCheckboxesInput, GovDateInput, GovRadioInput
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import Length, ValidationError


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


class ReportForm(FlaskForm):
    """Every report page's form: text is stripped, and a field people never see catches bots that fill in
    everything (`website`, hidden by the stylesheet, so screen readers and keyboards skip it too)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField | TextAreaField):
                unbound_field.kwargs["filters"] = [*unbound_field.kwargs.get("filters", ()), strip]
            return unbound_field.bind(form=form, **options)

    website = StringField("Leave this field empty")

    def answers(self) -> dict:
        """This page's answers as they are kept in the draft: dates as ISO strings, empty text as None."""
        kept = {}
        for name, field in self._fields.items():
            if name in ("csrf_token", "website"):
                continue
            value = field.data
            if isinstance(value, date):
                value = value.isoformat()
            elif value == "":
                value = None
            kept[name] = value
        return kept

    def caught_a_bot(self) -> bool:
        return bool((self.website.data or "").strip())

    def typed_anything(self) -> bool:
        for name, field in self._fields.items():
            if name in ("csrf_token", "website"):
                continue
            raw = field.raw_data or []
            if any(str(value).strip() for value in raw):
                return True
        return False


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
