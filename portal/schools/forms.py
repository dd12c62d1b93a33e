"""The notice form: one form for every kind of notice, showing the questions the kind needs. Its rules are the
domain's (`shared.domain.notices.check_notice`), so a notice typed here is held to the same rules as one in a file."""

from __future__ import annotations

import re
import secrets

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField

from portal.referral.fields import CharacterCount, DatePartsField, Radios, limit, strip
from shared.domain.notices import EVENT_DATE_LABEL, FIELD_LABELS, GROUNDS, TEXT_LIMITS, Problem
from shared.domain.vocab import NoticeKind

_KEY = re.compile(r"[A-Za-z0-9_-]{43}")

# The questions each kind of notice asks, in the order they are shown.
QUESTIONS = {
    NoticeKind.JOINER: (
        "upn", "first_name", "last_name", "date_of_birth", "sex", "year_group", "address", "postcode",
        "parent_name", "parent_phone", "event_date", "previous_school",
    ),
    NoticeKind.LEAVER: (
        "upn", "first_name", "last_name", "date_of_birth", "sex", "year_group", "address", "postcode",
        "parent_name", "parent_phone", "event_date", "deletion_ground", "destination", "destination_laestab",
        "destination_school", "new_address", "new_la", "enquiries_made",
    ),
    NoticeKind.PART_TIME: (
        "upn", "first_name", "last_name", "date_of_birth", "sex", "year_group", "event_date", "hours_per_week",
        "reason", "review_date", "agreed_with_parents",
    ),
    NoticeKind.ABSENCE: (
        "upn", "first_name", "last_name", "date_of_birth", "sex", "year_group", "address", "postcode",
        "parent_name", "parent_phone", "event_date", "contact_attempted", "concerns",
    ),
    NoticeKind.INDEPENDENT_ADMISSION: (
        "upn", "first_name", "last_name", "date_of_birth", "sex", "year_group", "address", "postcode",
        "parent_name", "parent_phone", "event_date", "previous_school",
    ),
}  # fmt: skip

DESTINATIONS = (
    ("school", "Another school in England"),
    ("XXXXXXX", "Not known (XXXXXXX): the pupil goes to the Lost Pupil Database"),
    ("MMMMMMM", "An independent school, abroad, or elsewhere outside England's maintained schools (MMMMMMM)"),
    ("none", "No school to go to (for example home education, or the pupil has died)"),
)


def _text(label: str, description: str = "") -> StringField:
    return StringField(label, widget=GovTextInput(), filters=[strip], description=description)


def _area(label: str, description: str = "") -> TextAreaField:
    return TextAreaField(label, widget=CharacterCount(), filters=[strip], description=description)


def _radios(label: str, choices) -> RadioField:
    return RadioField(
        label, choices=[SelectChoice(value, text) for value, text in choices], widget=Radios(), validate_choice=False
    )


class NoticeForm(FlaskForm):
    upn = _text("UPN (optional if the pupil has none)", "13 characters, like B801200005001")
    first_name = _text("First name")
    last_name = _text("Last name")
    date_of_birth = DatePartsField(
        "Date of birth", name_in_errors="Date of birth", description="For example, 27 3 2015"
    )
    sex = _radios("Sex", (("F", "Female"), ("M", "Male"), ("U", "Not known")))
    year_group = _text("Year group (optional)", "For example, R for Reception, or 6")
    address = _area("Home address")
    postcode = _text("Postcode")
    parent_name = _text("Parents or carers the pupil lives with", "Full names")
    parent_phone = _text("Emergency phone number for a parent or carer")
    event_date = DatePartsField("Date")
    previous_school = _text("Previous school (optional)")
    deletion_ground = _radios(
        "Ground for removal (regulation 9(1))", [(g.code, f"{g.code}: {g.label}") for g in GROUNDS.values()]
    )
    destination = _radios("Where is the pupil going?", DESTINATIONS)
    destination_laestab = _text("New school's LAESTAB", "7 digits: the local authority number and the school's number")
    destination_school = _text("New school's name (optional)")
    new_address = _area("New address, if known")
    new_la = _text("New local authority, if known")
    enquiries_made = _area("Enquiries made by the school and the authority")
    hours_per_week = _text("Hours a week in school", "For example, 12.5")
    reason = _area("Reason for the part-time timetable")
    review_date = DatePartsField("Review date", name_in_errors="Review date")
    agreed_with_parents = _radios("Agreed with the parents?", (("yes", "Yes"), ("no", "No")))
    contact_attempted = _area("Contact attempted with the family")
    concerns = _area("Concerns (optional)")
    # Made when the form is first shown and sent back with it, so the same notice sent twice is stored once.
    submission_key = HiddenField()

    def __init__(self, kind: NoticeKind, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if not _KEY.fullmatch(self.submission_key.data or ""):
            self.submission_key.data = secrets.token_urlsafe(32)
        self.event_date.label.text = EVENT_DATE_LABEL[kind]
        self.event_date.name_in_errors = EVENT_DATE_LABEL[kind]
        for name, maximum in TEXT_LIMITS.items():
            field = getattr(self, name)
            if isinstance(field.widget, CharacterCount):
                # The count shown as people type, with the domain's own limit and message; never a maxlength that
                # would cut off pasted text without a word.
                field.validators = [limit(FIELD_LABELS[name], maximum)]

    def questions(self):
        return [getattr(self, name) for name in QUESTIONS[self.kind]]

    def raw(self) -> dict[str, str]:
        """The answers as the domain's checker takes them (the same strings a CSV row would have)."""
        raw = {"kind": self.kind.value}
        for field in self.questions():
            if isinstance(field, DatePartsField):
                raw[field.name] = field.data.isoformat() if field.data else ("?" if field.problem else "")
            else:
                raw[field.name] = field.data or ""
        destination = raw.pop("destination", "")
        if destination in ("XXXXXXX", "MMMMMMM"):
            raw["destination_laestab"] = destination
        elif destination != "school":
            raw["destination_laestab"] = ""
        return raw

    def show(self, problems: list[Problem]) -> None:
        """Put the checker's problems on the fields, in the fields' own order; date fields say what the boxes
        got wrong first."""
        for field in self.questions():
            if isinstance(field, DatePartsField) and field.problem:
                field.errors = [field.problem]
        for problem in problems:
            field = getattr(self, problem.field, None)
            if field is not None and not field.errors:
                field.errors = [problem.message]

    def answered(self) -> list[tuple[str, str]]:
        """(question, answer) for Check your answers."""
        rows = []
        for field in self.questions():
            if isinstance(field, DatePartsField):
                value = f"{field.data.day} {field.data:%B %Y}" if field.data else ""
            elif isinstance(field, RadioField):
                value = next((label for val, label, *_ in field.iter_choices() if val == field.data), "")
            else:
                value = field.data or ""
            if value:
                rows.append((field.label.text, value))
        return rows
