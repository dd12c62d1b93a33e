"""The notice form: one form for every kind of notice, showing the questions the kind needs. Its rules are the
domain's (`shared.domain.notices.check_notice`), so a notice typed here is held to the same rules as one in a file."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import HiddenField, RadioField, SelectChoice, SelectField

from portal.database import db_session
from portal.settings import authority_settings
from shared.domain.notices import EVENT_DATE_LABEL, FIELD_LABELS, GROUNDS, TEXT_LIMITS, CheckedNotice, check_notice
from shared.domain.problems import Problem
from shared.domain.vocab import NoticeKind
from shared.models import School
from shared.services.schools import not_in_register, school_with_laestab, schools_for_picker
from webcommon.forms import BaseForm, CharacterCount, DatePartsField, area, limit, radios, strip, text

_KEY = re.compile(r"[A-Za-z0-9_-]{43}")

# The questions each kind of notice asks, in the order they are shown.
QUESTIONS = {
    NoticeKind.JOINER: (
        "upn", "first_name", "last_name", "date_of_birth", "sex", "year_group", "address", "postcode",
        "parent_name", "parent_phone", "event_date", "previous_school_laestab", "previous_school_other_laestab",
        "previous_school",
    ),
    NoticeKind.LEAVER: (
        "upn", "first_name", "last_name", "date_of_birth", "sex", "year_group", "address", "postcode",
        "parent_name", "parent_phone", "event_date", "deletion_ground", "destination", "destination_laestab",
        "destination_other_laestab", "destination_school", "new_address", "new_la", "enquiries_made",
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
        "parent_name", "parent_phone", "event_date", "previous_school_laestab", "previous_school_other_laestab",
        "previous_school",
    ),
}  # fmt: skip

DESTINATIONS = (
    ("school", "Another school in England"),
    ("XXXXXXX", "Not known (XXXXXXX): the pupil goes to the Lost Pupil Database"),
    ("MMMMMMM", "An independent school, abroad, or elsewhere outside England's maintained schools (MMMMMMM)"),
    ("none", "No school to go to (for example home education, or the pupil has died)"),
)


NOT_IN_LIST = "other"


@dataclass(frozen=True)
class Picker:
    """A school picker: a list of schools (`select`, posting the chosen school's LAESTAB, which is also the
    notice's own field) and, for a school not in the list, its LAESTAB and name typed (`other_laestab`, `name`)."""

    select: str
    other_laestab: str
    name: str
    summary_label: str


PICKERS = (
    Picker("previous_school_laestab", "previous_school_other_laestab", "previous_school", "Previous school"),
    Picker("destination_laestab", "destination_other_laestab", "destination_school", "New school"),
)


def school_label(school: School) -> str:
    """How a school is shown in the list and in the search (init.mjs writes it the same way)."""
    place = f", {school.town}" if school.town else ""
    return f"{school.name}{place} (LAESTAB {school.laestab})"


class NoticeForm(BaseForm):
    upn = text("UPN (optional if the pupil has none)", description="13 characters, like B801200005001")
    first_name = text("First name")
    last_name = text("Last name")
    date_of_birth = DatePartsField(
        "Date of birth", name_in_errors="Date of birth", description="For example, 27 3 2015"
    )
    sex = radios("Sex", (("F", "Female"), ("M", "Male"), ("U", "Not known")))
    year_group = text("Year group (optional)", description="For example, R for Reception, or 6")
    address = area("Home address")
    postcode = text("Postcode")
    parent_name = text("Parents or carers the pupil lives with", description="Full names")
    parent_phone = text("Emergency phone number for a parent or carer")
    event_date = DatePartsField("Date")
    previous_school_laestab = SelectField(
        "Previous school (optional)", widget=GovSelect(), validate_choice=False, filters=[strip]
    )
    previous_school_other_laestab = text(
        "LAESTAB (optional)",
        description="7 digits, if the school is in England: the local authority number, then the school's number",
    )
    previous_school = text("School's name")
    deletion_ground = radios(
        "Ground for removal (regulation 9(1))", [(g.code, f"{g.code}: {g.label}") for g in GROUNDS.values()]
    )
    destination = radios("Where is the pupil going?", DESTINATIONS)
    destination_laestab = SelectField("New school", widget=GovSelect(), validate_choice=False, filters=[strip])
    destination_other_laestab = text(
        "LAESTAB", description="7 digits: the local authority number and the school's number, like 8014001"
    )
    destination_school = text("School's name (optional)")
    new_address = area("New address, if known")
    new_la = text("New local authority, if known")
    enquiries_made = area("Enquiries made by the school and the authority")
    hours_per_week = text("Hours a week in school", description="For example, 12.5")
    reason = area("Reason for the part-time timetable")
    review_date = DatePartsField("Review date", name_in_errors="Review date")
    agreed_with_parents = radios("Agreed with the parents?", (("yes", "Yes"), ("no", "No")))
    contact_attempted = area("Contact attempted with the family")
    concerns = area("Concerns (optional)")
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
        self._chosen: dict[str, School | None] = {}
        pickers = self.pickers()
        if pickers:
            listed = self._listed_schools()
            for picker in pickers:
                self._offer(picker, listed)

    def pickers(self) -> list[Picker]:
        return [picker for picker in PICKERS if picker.select in QUESTIONS[self.kind]]

    @staticmethod
    def _listed_schools() -> list[School]:
        """The list people choose from when the search cannot run (JavaScript off). The national register holds
        about 51,000 establishments, far too many for one list, so it is the open schools of the authority's own
        local authority (its code in the settings) that take children of compulsory school age: where most joiners come
        from and most leavers go, a few hundred even for a large county. Any other school is one search away with
        JavaScript, and without it "A school not in this list" takes its LAESTAB."""
        return schools_for_picker(db_session(), [authority_settings().authority_la_code])

    def _offer(self, picker: Picker, listed: list[School]) -> None:
        field = getattr(self, picker.select)
        chosen = field.data or ""
        options = [SelectChoice(school.laestab, school_label(school)) for school in listed]
        if chosen and chosen != NOT_IN_LIST:
            school = school_with_laestab(db_session(), chosen)
            self._chosen[picker.select] = school
            if not any(option.value == chosen for option in options):
                # A school found by the search (or one the register no longer has) stays chosen when the page
                # comes back.
                label = school_label(school) if school else f"LAESTAB {chosen}"
                options.insert(0, SelectChoice(chosen, label))
        blank = "Not known" if picker.select == "previous_school_laestab" else "Select a school"
        field.choices = [SelectChoice("", blank), *options, SelectChoice(NOT_IN_LIST, "A school not in this list")]

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
        for picker in self.pickers():
            chosen = raw[picker.select]
            other = raw.pop(picker.other_laestab).upper()
            if chosen in ("", NOT_IN_LIST):
                raw[picker.select] = other  # typed: a school outside the list (or the register)
            elif self._chosen.get(picker.select):
                raw[picker.name] = self._chosen[picker.select].name  # the register's name, not one typed
        destination = raw.pop("destination", "")
        if destination in ("XXXXXXX", "MMMMMMM"):
            raw["destination_laestab"] = destination
        if destination != "school" and "destination" in QUESTIONS[self.kind]:
            raw["destination_school"] = ""
            if destination not in ("XXXXXXX", "MMMMMMM"):
                raw["destination_laestab"] = ""
        return raw

    def _typed(self, picker: Picker) -> bool:
        """Whether the school's LAESTAB was typed rather than chosen from the list."""
        return (getattr(self, picker.select).data or "") in ("", NOT_IN_LIST)

    def check(self, today: date) -> tuple[CheckedNotice | None, list[Problem]]:
        """The domain's checks, then the register's: a LAESTAB no school in the schools register has is refused
        (unless the register is empty, as on a fresh install). A new school in England must be given."""
        raw = self.raw()
        checked, problems = check_notice(raw, today)
        going_to_a_school = self.kind == NoticeKind.LEAVER and self.destination.data == "school"
        if going_to_a_school and not (raw["destination_laestab"] or raw["destination_school"]):
            problems.append(
                Problem(
                    "destination_laestab",
                    "Select the new school, or choose “A school not in this list” and enter its LAESTAB or name",
                )
            )
        named = {picker.select: raw[picker.select] for picker in self.pickers() if raw.get(picker.select)}
        for name, laestab in not_in_register(db_session(), [named])[0].items():
            problems.append(
                Problem(
                    name,
                    f"LAESTAB {laestab} is not in the schools register: check the number, or find the school by its "
                    "name",
                )
            )
        return (None if problems else checked), problems

    def show(self, problems: list[Problem]) -> None:
        """Put the checker's problems on the fields, in the fields' own order; date fields say what the boxes
        got wrong first."""
        for field in self.questions():
            if isinstance(field, DatePartsField) and field.problem:
                field.errors = [field.problem]
        typed = {picker.select: picker.other_laestab for picker in self.pickers() if self._typed(picker)}
        for problem in problems:
            name = problem.field
            if name in typed and getattr(self, typed[name]).data:
                name = typed[name]  # the typed LAESTAB is what to fix
            field = getattr(self, name, None)
            if field is not None and not field.errors:
                field.errors = [problem.message]

    def answered(self) -> list[tuple[str, str]]:
        """(question, answer) for Check your answers."""
        rows = []
        pickers = {picker.select: picker for picker in self.pickers()}
        part_of_a_picker = {name for picker in pickers.values() for name in (picker.other_laestab, picker.name)}
        raw = self.raw()
        for field in self.questions():
            if field.name in pickers:
                picker = pickers[field.name]
                laestab, name = raw[picker.select], raw[picker.name]
                if laestab in ("XXXXXXX", "MMMMMMM"):
                    continue  # the destination's own answer says so
                value = (
                    f"{name} (LAESTAB {laestab})" if name and laestab else name or (laestab and f"LAESTAB {laestab}")
                )
                if value:
                    rows.append((picker.summary_label, value))
                continue
            if field.name in part_of_a_picker:
                continue
            if isinstance(field, DatePartsField):
                value = f"{field.data.day} {field.data:%B %Y}" if field.data else ""
            elif isinstance(field, RadioField):
                value = next((label for val, label, *_ in field.iter_choices() if val == field.data), "")
            else:
                value = field.data or ""
            if value:
                rows.append((field.label.text, value))
        return rows
