"""The settings an authority's admin changes in the service itself: its name, code and contact numbers, how many
school days each reasonable enquiry is given, how long records are kept, and whether a registered pupil's long
unexplained absence counts as missing education here. Each has a label, a hint, a kind with its range, and a
default taken from the configuration (so an environment variable gives the starting value until an admin changes
it). Strings in, values or problems out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.domain.enquiries import DUE_SCHOOL_DAYS_LEAST, DUE_SCHOOL_DAYS_MOST, STANDARD_CHECKS
from shared.domain.problems import Problem
from shared.domain.retention import RetentionPeriods
from shared.domain.vocab import CheckType

TEXT_LIMIT = 100
YES, NO = "yes", "no"


class Kind(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    LA_CODE = "la_code"
    SCHOOL_DAYS = "school_days"
    YEARS = "years"
    AGE = "age"
    DAYS = "days"
    YES_NO = "yes_no"


class Section(StrEnum):
    AUTHORITY = "authority"
    ENQUIRIES = "enquiries"
    RETENTION = "retention"
    LONG_ABSENCE = "long_absence"

    @property
    def heading(self) -> str:
        return SECTION_TITLES[self]


SECTION_TITLES = {
    Section.AUTHORITY: "Authority details",
    Section.ENQUIRIES: "Reasonable enquiries",
    Section.RETENTION: "Retention periods",
    Section.LONG_ABSENCE: "Long absence",
}


@dataclass(frozen=True)
class Definition:
    key: str
    section: Section
    label: str
    hint: str
    kind: Kind
    config_key: str  # where the default comes from in the configuration
    # What the problem messages call the setting ("the authority's name"), and the range of a number.
    name: str = ""
    least: int = 0
    most: int = 0

    @property
    def numeric(self) -> bool:
        return self.kind in (Kind.SCHOOL_DAYS, Kind.YEARS, Kind.AGE, Kind.DAYS)

    def default(self, config: Mapping[str, Any]) -> Any:
        if self.kind == Kind.SCHOOL_DAYS:
            return int(config["CHECK_DUE_SCHOOL_DAYS"][CheckType(self.key.removeprefix(DUE_PREFIX))])
        if self.kind == Kind.YES_NO:
            return bool(config[self.config_key])
        return config[self.config_key]

    def shown(self, value: Any) -> str:
        """The value as the settings page shows it."""
        if self.kind == Kind.YES_NO:
            return "Yes" if value else "No"
        if self.kind == Kind.SCHOOL_DAYS:
            return f"{value} school day" if value == 1 else f"{value} school days"
        if self.kind == Kind.YEARS:
            return f"{value} year" if value == 1 else f"{value} years"
        if self.kind == Kind.AGE:
            return "No age rule" if value == 0 else f"Until the child is {value}"
        if self.kind == Kind.DAYS:
            return f"{value} day" if value == 1 else f"{value} days"
        return str(value)

    def typed(self, value: Any) -> str:
        """The value as its form field holds it."""
        if self.kind == Kind.YES_NO:
            return YES if value else NO
        return str(value)


DUE_PREFIX = "check_due_days_"
RETENTION_PREFIX = "retention_"

_AUTHORITY = (
    Definition(
        "authority_name",
        Section.AUTHORITY,
        "Authority name",
        "As the public knows it, like Northbridge Council. Shown at the top of every page and in emails",
        Kind.TEXT,
        "AUTHORITY_NAME",
        name="the authority's name",
    ),
    Definition(
        "authority_la_code",
        Section.AUTHORITY,
        "Local authority code",
        "The Department for Education's 3 digit number for the authority, like 801. It picks the schools listed "
        "first and goes on the termly return",
        Kind.LA_CODE,
        "AUTHORITY_LA_CODE",
        name="the local authority code",
    ),
    Definition(
        "authority_email",
        Section.AUTHORITY,
        "CME team email address",
        "Shown on the public pages; urgent reports go here when there is no CME lead",
        Kind.EMAIL,
        "AUTHORITY_EMAIL",
        name="the CME team's email address",
    ),
    Definition(
        "authority_phone",
        Section.AUTHORITY,
        "CME team phone number",
        "Shown on the public pages and the error pages",
        Kind.PHONE,
        "AUTHORITY_PHONE",
        name="the CME team's phone number",
    ),
    Definition(
        "social_care_phone",
        Section.AUTHORITY,
        "Children's social care phone number",
        "For people worried about a child's safety, shown on the start page and the report's pages",
        Kind.PHONE,
        "SOCIAL_CARE_PHONE",
        name="children's social care's phone number",
    ),
    Definition(
        "social_care_out_of_hours_phone",
        Section.AUTHORITY,
        "Children's social care out-of-hours phone number",
        "For evenings, weekends and bank holidays",
        Kind.PHONE,
        "SOCIAL_CARE_OUT_OF_HOURS_PHONE",
        name="the out-of-hours phone number",
    ),
)

_ENQUIRIES = tuple(
    Definition(
        f"{DUE_PREFIX}{check.value}",
        Section.ENQUIRIES,
        check.label,
        f"School days a new case gives this check, from {DUE_SCHOOL_DAYS_LEAST} to {DUE_SCHOOL_DAYS_MOST}",
        Kind.SCHOOL_DAYS,
        "CHECK_DUE_SCHOOL_DAYS",
        least=DUE_SCHOOL_DAYS_LEAST,
        most=DUE_SCHOOL_DAYS_MOST,
    )
    for check in STANDARD_CHECKS
)

# The same ranges as the CME_RETENTION_* environment variables (config.RETENTION_SETTINGS).
_RETENTION = (
    Definition(
        "retention_closed_case_years",
        Section.RETENTION,
        "Children whose cases are all closed",
        "Years after the last case closed, from 1 to 100. Six is the Limitation Act's period for most claims",
        Kind.YEARS,
        "RETENTION_CLOSED_CASE_YEARS",
        least=1,
        most=100,
    ),
    Definition(
        "retention_keep_until_age",
        Section.RETENTION,
        "Keep children's records until they are this age",
        "An age from 0 to 100, like 25; 0 for no age rule. With one, a record goes only once both periods have passed",
        Kind.AGE,
        "RETENTION_KEEP_UNTIL_AGE",
        least=0,
        most=100,
    ),
    Definition(
        "retention_no_case_years",
        Section.RETENTION,
        "Reports, notices and alerts that never became a case",
        "Years after the team's decision, from 1 to 100",
        Kind.YEARS,
        "RETENTION_NO_CASE_YEARS",
        least=1,
        most=100,
    ),
    Definition(
        "retention_attendance_years",
        Section.RETENTION,
        "Pupils' attendance marks",
        "Years after the week, from 1 to 100. Schools' weekly totals, which name nobody, are kept",
        Kind.YEARS,
        "RETENTION_ATTENDANCE_YEARS",
        least=1,
        most=100,
    ),
    Definition(
        "retention_file_days",
        Section.RETENTION,
        "Uploaded files",
        "Days after upload, from 1 to 36500. What a file said is kept in the notices and marks made from it",
        Kind.DAYS,
        "RETENTION_FILE_DAYS",
        least=1,
        most=36500,
    ),
    Definition(
        "retention_outbox_days",
        Section.RETENTION,
        "Emails the mail server did not take",
        "Days after the email was written, from 1 to 36500",
        Kind.DAYS,
        "RETENTION_OUTBOX_DAYS",
        least=1,
        most=36500,
    ),
)

LONG_ABSENCE_HINT_YES = (
    "A school's continuous-absence notice goes to the CME team's list and intake, and an attendance alert "
    "(10 school days of unexplained absence) is put in the intake queue"
)
LONG_ABSENCE_HINT_NO = (
    "A school's continuous-absence notice is kept and acknowledged but not sent to the CME team, and "
    "attendance alerts stay on the attendance pages for the attendance team, out of the intake queue"
)

_LONG_ABSENCE = (
    Definition(
        "long_absence_is_cme",
        Section.LONG_ABSENCE,
        "Does a registered pupil's long unexplained absence count as missing education here?",
        "Authorities define children missing education differently: some include pupils still on a school's "
        "roll who have stopped attending",
        Kind.YES_NO,
        "LONG_ABSENCE_IS_CME",
        name="whether long absence counts as missing education",
    ),
)

DEFINITIONS: dict[str, Definition] = {
    definition.key: definition for definition in (*_AUTHORITY, *_ENQUIRIES, *_RETENTION, *_LONG_ABSENCE)
}


def in_section(section: Section) -> list[Definition]:
    return [definition for definition in DEFINITIONS.values() if definition.section == section]


def defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting's starting value, from the configuration (config.load's keys)."""
    return {key: definition.default(config) for key, definition in DEFINITIONS.items()}


@dataclass(frozen=True)
class Settings:
    """Every setting's value, saved or default, with typed views of them for the service's readers."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def authority_name(self) -> str:
        return self.values["authority_name"]

    @property
    def authority_la_code(self) -> str:
        return self.values["authority_la_code"]

    @property
    def authority_email(self) -> str:
        return self.values["authority_email"]

    @property
    def authority_phone(self) -> str:
        return self.values["authority_phone"]

    @property
    def social_care_phone(self) -> str:
        return self.values["social_care_phone"]

    @property
    def social_care_out_of_hours_phone(self) -> str:
        return self.values["social_care_out_of_hours_phone"]

    @property
    def due_days(self) -> dict[CheckType, int]:
        return {check: self.values[f"{DUE_PREFIX}{check.value}"] for check in STANDARD_CHECKS}

    @property
    def retention(self) -> RetentionPeriods:
        return RetentionPeriods(
            **{key.removeprefix(RETENTION_PREFIX): self.values[key] for key in DEFINITIONS if key in _RETENTION_KEYS}
        )

    @property
    def long_absence_is_cme(self) -> bool:
        return bool(self.values["long_absence_is_cme"])


_RETENTION_KEYS = frozenset(definition.key for definition in _RETENTION)


def merged(defaults_: Mapping[str, Any], saved: Mapping[str, Any]) -> Settings:
    """The settings: each saved value that is still a setting and still valid, else its default. A value saved
    under an older range (or by hand) that no longer passes is ignored rather than trusted."""
    values = dict(defaults_)
    for key, value in saved.items():
        definition = DEFINITIONS.get(key)
        if definition is not None and problem_with(definition, value) is None:
            values[key] = value
    return Settings(values)


_LA_CODE = re.compile(r"^\d{3}$")
# An address's shape: something, one @, and a domain with a dot; plain ASCII, as the team's mail relay takes.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def problem_with(definition: Definition, value: Any) -> str | None:
    """What is wrong with a stored (typed) value, or None."""
    if definition.numeric:
        wanted = isinstance(value, int) and not isinstance(value, bool)
    elif definition.kind == Kind.YES_NO:
        wanted = isinstance(value, bool)
    else:
        wanted = isinstance(value, str)
    if not wanted:
        return f"{definition.label}: a {type(value).__name__} is not this setting's kind of value"
    parsed, message = parse(definition, definition.typed(value))
    return message or (None if parsed == value else f"{definition.label}: stored as {value!r}, not as typed")


def parse(definition: Definition, raw: str | None) -> tuple[Any, str | None]:
    """The value of a typed answer, or the message saying what to change, in the Design System's words."""
    text = (raw or "").strip()
    kind = definition.kind
    if kind == Kind.YES_NO:
        if text not in (YES, NO):
            return None, _yes_no_message(definition)
        return text == YES, None
    if definition.numeric:
        # The length first: a number of thousands of digits is out of range, and too long for int() to read.
        whole = text.isascii() and text.isdigit() and len(text) <= 9
        if not whole or not definition.least <= int(text) <= definition.most:
            return None, _number_message(definition)
        return int(text), None
    if kind == Kind.LA_CODE:
        if not (text.isascii() and _LA_CODE.match(text)):
            return None, "Enter the local authority code as 3 digits, like 801"
        return text, None
    if not text:
        return None, f"Enter {definition.name}"
    if len(text) > TEXT_LIMIT:
        return None, f"{definition.name[0].upper()}{definition.name[1:]} must be {TEXT_LIMIT} characters or fewer"
    if kind == Kind.EMAIL and not (text.isascii() and _EMAIL.match(text)):
        return None, "Enter an email address in the correct format, like name@example.com"
    if kind == Kind.PHONE and not _possible_phone(text):
        return None, f"Enter {definition.name} in the correct format, like 01632 960000"
    return text, None


def _possible_phone(text: str) -> bool:
    """A UK number as people write it: 0 then 9 or 10 more digits, or +44 in place of the 0, with spaces, brackets
    or hyphens anywhere (01632 960000, (01632) 960 000, +44 1632 960000)."""
    if not (text.isascii() and re.fullmatch(r"\+?[0-9 ()-]+", text)):
        return False
    digits = re.sub(r"[^0-9]", "", text)
    if text.startswith("+"):
        if not digits.startswith("44"):
            return False
        digits = "0" + digits[2:].removeprefix("0")  # +44 (0)1632 ... is written too
    return digits.startswith("0") and len(digits) in (10, 11)


def _number_message(definition: Definition) -> str:
    if definition.kind == Kind.SCHOOL_DAYS:
        return f"Enter a number of school days between {definition.least} and {definition.most}"
    if definition.kind == Kind.YEARS:
        return f"Enter a number of years between {definition.least} and {definition.most}"
    if definition.kind == Kind.AGE:
        return f"Enter an age between {definition.least} and {definition.most}, or 0 for no age rule"
    return f"Enter a number of days between {definition.least} and {definition.most}"


def _yes_no_message(definition: Definition) -> str:
    return f"Select {definition.name}"


def check_answers(answers: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The values of the typed answers (only settings' keys are read), and every problem, in the settings'
    order. Any problem means nothing is to be saved."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, definition in DEFINITIONS.items():
        if key not in answers:
            continue
        value, message = parse(definition, answers[key])
        if message:
            problems.append(Problem(key, message))
        else:
            values[key] = value
    return values, problems
