"""The forms of a case's pages: its details, the child's details, recording, adding and setting aside a check, and
logging a contact, on the service's base form (webcommon.forms). Each carries the version of the record it was
shown with; the rules are the domain's and the services', which the views put back on the fields."""

from __future__ import annotations

import re
from datetime import datetime, time

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput

from portal.staff.common import STALE_EDIT_MESSAGE
from shared.clock import UK
from shared.domain.checks import (
    ANSWER_LIMIT,
    AUTHORITY_LIMIT,
    CONTACT_TEXT_LIMIT,
    DESCRIPTION_LIMIT,
    OUTCOME_LIMIT,
    REASON_LIMIT,
    WITH_WHOM_LIMIT,
)
from shared.domain.problems import Problem
from shared.domain.vocab import CheckResult, CheckType, ContactKind, RiskLevel, SendStatus, Sex, VulnerableGroup
from shared.reference_data import primary_reasons
from webcommon.forms import BaseForm, Checkboxes, DatePartsField, area, choices, radios, text, valid_phone

# The kinds of contact in the order people think of them; a plain note last.
CONTACT_KINDS = (
    ContactKind.PHONE,
    ContactKind.LETTER,
    ContactKind.EMAIL,
    ContactKind.HOME_VISIT,
    ContactKind.MEETING,
    ContactKind.NOTE,
)


STALE_MESSAGES = {
    "case": STALE_EDIT_MESSAGE,
    "check": (
        "Someone else changed this check while you were editing it. Nothing you entered has been saved: "
        "check it as it is now and make your change again"
    ),
    "child": (
        "Someone else changed this child's details while you were editing them. Nothing you entered has been "
        "saved: check the details as they are now and make your change again"
    ),
}


def stale_message(what: str) -> str:
    """The message for an edit someone else saved first (the case's shared wording, for the record edited)."""
    return STALE_MESSAGES.get(what, STALE_EDIT_MESSAGE)


# The case's details ------------------------------------------------------------------------------------------------


class CaseDetailsForm(BaseForm):
    risk_level = radios("Risk level", RiskLevel.choices())
    missing_since = DatePartsField(
        "When did the child become missing education? (optional)",
        name_in_errors="Date the child became missing education",
        description="For example, 27 9 2026. Leave it blank if nobody knows",
    )
    primary_reason = radios(
        "What is the main reason the child is missing education?",
        (),
        "The categories of the Department for Education's termly return of children missing education",
    )
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.primary_reason.choices = choices(primary_reasons().items())


# The child's details -----------------------------------------------------------------------------------------------


class ChildDetailsForm(BaseForm):
    first_name = text("First name", 100)
    middle_names = text("Middle names", 200)
    last_name = text("Last name", 100)
    other_names = text(
        "Other names they are known by", 300, "For example, a nickname, or a surname they also use", "Other names"
    )
    date_of_birth = DatePartsField(
        "Date of birth", name_in_errors="Date of birth", description="For example, 27 3 2015"
    )
    sex = radios("Sex", Sex.choices())
    upn = text("Unique pupil number (UPN)", 20, "13 characters, like B801200005001", "UPN")
    address_line_1 = text("Address line 1", 200)
    address_line_2 = text("Address line 2", 200)
    town = text("Town or city", 100)
    postcode = text("Postcode", 10)
    phone = text("Phone number", 30, "A number to reach the family on")
    looked_after = radios("Is the child looked after by a local authority?", (("yes", "Yes"), ("no", "No")))
    send_status = radios("Special educational needs", SendStatus.choices())
    vulnerable_groups = SelectMultipleField(
        "Groups at particular risk of missing education",
        choices=choices(VulnerableGroup.choices()),
        widget=Checkboxes(),
        option_widget=CheckboxInput(),
        validate_choice=False,
        description="Select all that apply",
    )
    # When the child's details were last changed, as this page showed them.
    seen = HiddenField()

    def validate_phone(self, field):
        valid_phone(field)


# Checks -------------------------------------------------------------------------------------------------------------


class RecordCheckForm(BaseForm):
    asked_on = DatePartsField("When was it asked?", name_in_errors="Date asked", description="For example, 3 11 2026")
    answered_on = DatePartsField(
        "When did the answer come? (optional)",
        name_in_errors="Date answered",
        description="Leave it blank if you are still waiting. For no reply, the day you stopped waiting",
    )
    result = radios("What was the result?", CheckResult.choices(), "Only if the answer has come")
    answer = area("What did they say? (optional)", ANSWER_LIMIT, name="What they said")
    version = HiddenField()


class AddCheckForm(BaseForm):
    check_type = radios("What kind of check?", CheckType.choices())
    description = text(
        "What is the check?", DESCRIPTION_LIMIT, "For example, the family's GP surgery", "What the check is"
    )
    previous_authority = text(
        "Which local authority did the child come from?", AUTHORITY_LIMIT, name="The local authority's name"
    )
    destination_authority = text(
        "Which local authority may the child have moved to?", AUTHORITY_LIMIT, name="The local authority's name"
    )
    due_on = DatePartsField(
        "Due date (optional)",
        name_in_errors="Due date",
        description="Leave it blank for the usual time for this kind of check, counted in school days from today",
    )

    @property
    def other_authority(self) -> str | None:
        if self.check_type.data == CheckType.PREVIOUS_LA:
            return self.previous_authority.data or None
        if self.check_type.data == CheckType.DESTINATION_LA:
            return self.destination_authority.data or None
        return None


class NotApplicableForm(BaseForm):
    reason = area(
        "Why is this check not needed?",
        REASON_LIMIT,
        "For example, the family have never lived outside the authority",
        "Why the check is not needed",
    )
    version = HiddenField()


# Contacts -----------------------------------------------------------------------------------------------------------

_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$", re.IGNORECASE)


def parse_time(text: str) -> time:
    """A time as people write it: 14:30, 2:30pm, 2.30 pm, 9am, noon, midnight. Raises ValueError."""
    text = (text or "").strip().lower()
    if text in ("noon", "midday", "12 noon"):
        return time(12, 0)
    if text == "midnight":
        return time(0, 0)
    match = _TIME.match(text)
    if not match:
        raise ValueError(text)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = (match.group(3) or "").replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match.group(2) is None:
        raise ValueError(text)  # "9" alone: morning or evening?
    if hour > 23 or minute > 59:
        raise ValueError(text)
    return time(hour, minute)


class TimeField(StringField):
    """A time typed in one box; `data` stays the text, `time` is what it means (None until it means something)."""

    widget = GovTextInput()

    @property
    def time(self) -> time | None:
        try:
            return parse_time(self.data or "")
        except ValueError:
            return None

    def pre_validate(self, form):
        if self.data and self.time is None:
            raise ValidationError("Enter a real time, like 9:30am or 14:30")


class ContactForm(BaseForm):
    kind = radios("What kind of contact?", [(kind.value, kind.label) for kind in CONTACT_KINDS])
    occurred_on = DatePartsField("Date", name_in_errors="Date", description="For example, 3 11 2026")
    occurred_time = TimeField("Time", description="For example, 9:30am or 14:30")
    with_whom = text(
        "Who was it with?",
        WITH_WHOM_LIMIT,
        "For example, the child's mother, or the school's office. Not needed for a note",
        "Who it was with",
    )
    outcome = text(
        "Outcome (optional)", OUTCOME_LIMIT, "For example, no answer, message left, visit arranged", "Outcome"
    )
    text = area("What was said or done?", CONTACT_TEXT_LIMIT, name="Details")

    def occurred_at(self) -> datetime | None:
        """When the contact happened, in England's time, once both the date and the time are given."""
        day, moment = self.occurred_on.data, self.occurred_time.time
        if day is None or moment is None:
            return None
        return datetime.combine(day, moment, tzinfo=UK)

    def missing_parts(self) -> list[Problem]:
        problems = []
        if self.occurred_on.is_empty:
            problems.append(Problem("occurred_on", "Enter the date of the contact"))
        if not self.occurred_time.data:
            problems.append(Problem("occurred_time", "Enter the time of the contact"))
        return problems
