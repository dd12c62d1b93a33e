"""A report's answers as the summary lists of Check your answers (and the CME team's view of a referral)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from shared.domain.report import age_check
from shared.domain.vocab import ReferralSource, Sex, VulnerableGroup, label_of
from shared.reference_data import cme_reasons

NOT_GIVEN = "Not given"
YES_NO_UNKNOWN = {"yes": "Yes", "no": "No", "unknown": "Not known"}


@dataclass(frozen=True)
class Row:
    key: str
    value: Markup
    slug: str  # the page that asks it


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


def _lines(*values) -> Markup:
    kept = [str(value) for value in values if value not in (None, "", [])]
    if not kept:
        return escape(NOT_GIVEN)
    # Each answer is escaped; line breaks typed into a text area are kept as <br>.
    return Markup("<br>").join(Markup("<br>").join(escape(line) for line in value.splitlines()) for value in kept)


def _long(value: str | None) -> str | None:
    if not value:
        return None
    day = date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def child_rows(answers: dict, today: date) -> list[Row]:
    if answers.get("child_name_unknown"):
        name = "Not known"
    else:
        name = " ".join(part for part in (answers.get("child_first_name"), answers.get("child_last_name")) if part)
    dob = answers.get("date_of_birth")
    age = answers.get("approximate_age")
    if dob:
        born = _long(dob)
    elif age is not None:
        born = f"Not known: about {age} years old"
    else:
        born = "Not known" if answers.get("dob_known") == "no" else None
    check = age_check(date.fromisoformat(dob) if dob else None, age, today)
    address = (
        ["Not known"]
        if answers.get("address_unknown")
        else [answers.get(key) for key in ("address_line_1", "address_line_2", "address_town", "address_postcode")]
    )
    moved = YES_NO_UNKNOWN.get(answers.get("moved"))
    rows = [
        Row("Name", _lines(name), "child-name"),
        Row("Other names", _lines(answers.get("child_other_names")), "child-name"),
        Row("Date of birth", _lines(born), "child-date-of-birth"),
    ]
    if check.year_group:
        rows.append(Row("Year group", _lines(f"{check.year_group} (worked out from the date of birth)"), ""))
    sex = answers.get("child_sex")
    rows += [
        Row("Sex", _lines("Not known" if sex == Sex.UNKNOWN else label_of(Sex, sex)), "child-sex"),
        Row("Address", _lines(*address), "child-address"),
        Row("Family's phone number", _lines(answers.get("family_phone")), "child-address"),
        Row("Moved recently", _lines(moved, answers.get("new_address")), "moved"),
    ]
    return rows


def education_rows(answers: dict) -> list[Row]:
    reasons = cme_reasons()
    return [
        Row("Last school", _lines(answers.get("last_school"), answers.get("last_school_area")), "last-school"),
        Row("Last at school", _lines(_long(answers.get("last_at_school"))), "last-school"),
        Row(
            "Why they may be missing education",
            _lines(*[reasons.get(code, code) for code in answers.get("reasons") or []], answers.get("reason_details")),
            "reasons",
        ),
    ]


def family_rows(answers: dict) -> list[Row]:
    return [
        Row("Parents or carers", _lines(answers.get("carers")), "family"),
        Row("Languages spoken at home", _lines(answers.get("languages")), "family"),
        Row("Other services working with them", _lines(answers.get("agencies")), "family"),
    ]


def risk_rows(answers: dict) -> list[Row]:
    groups = [label_of(VulnerableGroup, code) for code in answers.get("groups") or []]
    return [
        Row("Groups at particular risk", _lines(*groups) if groups else escape("None selected"), "risk-groups"),
        Row(
            "At risk of harm",
            _lines(YES_NO_UNKNOWN.get(answers.get("risk_of_harm")), answers.get("risk_details")),
            "risk-of-harm",
        ),
        Row("Anything else", _lines(answers.get("anything_else")), "anything-else"),
    ]


def reporter_rows(answers: dict) -> list[Row]:
    rows = [
        Row("Who you are", _lines(label_of(ReferralSource, answers.get("reporter_type"))), "about-you"),
        Row(
            "Tell us who you are",
            _lines({"yes": "Yes", "no": "No, stay anonymous"}.get(answers.get("named"))),
            "anonymity",
        ),
    ]
    if answers.get("named") == "yes":
        rows += [
            Row("Your name", _lines(answers.get("reporter_name")), "your-details"),
            Row("Your email address", _lines(answers.get("reporter_email")), "your-details"),
            Row("Your phone number", _lines(answers.get("reporter_phone")), "your-details"),
            Row(
                "Team may contact you",
                _lines({"yes": "Yes", "no": "No"}.get(answers.get("consent_to_contact"))),
                "your-details",
            ),
        ]
        if answers.get("reporter_organisation"):
            rows.insert(3, Row("Your organisation", _lines(answers.get("reporter_organisation")), "your-details"))
    return rows


def sections(answers: dict, today: date, *, names: bool, reporter: bool = True) -> list[Section]:
    """The report's answers by section; without `names` (for a role that may not see children's names,
    `shared.domain.roles.may_see_names`) the child's names are left out."""
    about = child_rows(answers, today)
    if not names:
        about = [row for row in about if row.slug != "child-name"]
    result = [
        Section("About the child", about),
        Section("Their education", education_rows(answers)),
        Section("Their family", family_rows(answers)),
        Section("Risk", risk_rows(answers)),
    ]
    if reporter:
        result.append(Section("About you", reporter_rows(answers)))
    return result
