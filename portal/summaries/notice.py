"""A stored notice as rows of question and answer: what the school sent, shown back to the school and to the CME
team in the same words."""

from __future__ import annotations

from datetime import date

from portal.templating import long_date
from shared.domain.notices import (
    DESTINATION_OUT_OF_SCOPE,
    DESTINATION_UNKNOWN,
    DETAIL_FIELDS,
    EVENT_DATE_LABEL,
    FIELD_LABELS,
    GROUNDS,
)
from shared.domain.vocab import NoticeKind, NoticeStatus, Sex, label_of
from shared.models import SchoolNotice

DESTINATIONS = {
    DESTINATION_UNKNOWN: "Not known (XXXXXXX)",
    DESTINATION_OUT_OF_SCOPE: "Independent school, abroad or elsewhere outside England's maintained schools (MMMMMMM)",
}


def _answer(name: str, value, details: dict) -> str:
    if name == "previous_school" and details.get("previous_school_laestab"):
        return f"{value} (LAESTAB {details['previous_school_laestab']})"
    if name == "review_date":
        return long_date(date.fromisoformat(value))
    if name == "agreed_with_parents":
        return "Yes" if value else "No"
    if name == "hours_per_week":
        return f"{value:g}"
    return str(value)


def notice_rows(notice: SchoolNotice, *, names: bool, school: bool = False) -> list[tuple[str, str]]:
    """(question, answer) for every answer the notice holds; `school` adds the school that sent it. Without `names`
    (for a role that may not see pupils' names, `shared.domain.roles.may_see_names`) the pupil's name is left out."""
    rows = [
        ("Notice", label_of(NoticeKind, notice.kind)),
        ("Status", label_of(NoticeStatus, notice.status)),
        ("Sent", long_date(notice.submitted_at)),
    ]
    if school:
        rows.append(("School", f"{notice.school.name} (URN {notice.school.urn})"))
    if notice.batch_reference:
        rows.append(("Sent in the batch", notice.batch_reference))
    details = notice.details or {}
    if names:
        rows.append(("Pupil", f"{notice.pupil_first_name} {notice.pupil_last_name}"))
    rows += [
        ("Date of birth", long_date(notice.pupil_date_of_birth)),
        ("UPN", notice.upn or "None given"),
        ("Sex", label_of(Sex, notice.pupil_sex or Sex.UNKNOWN)),
    ]
    if details.get("year_group"):
        rows.append(("Year group", details["year_group"]))
    if notice.pupil_postcode:
        rows.append(("Postcode", notice.pupil_postcode))
    rows.append((EVENT_DATE_LABEL.get(notice.kind, "Date"), long_date(notice.event_date)))
    if notice.deletion_ground:
        ground = GROUNDS.get(notice.deletion_ground)
        rows.append(
            ("Ground for removal", f"{notice.deletion_ground}: {ground.label}" if ground else notice.deletion_ground)
        )
    if notice.destination_laestab:
        rows.append(
            ("Destination school (LAESTAB)", DESTINATIONS.get(notice.destination_laestab, notice.destination_laestab))
        )
    rows += [
        (FIELD_LABELS[name], _answer(name, details[name], details))
        for name in DETAIL_FIELDS
        if name != "year_group" and details.get(name) not in (None, "")
    ]
    if details.get("previous_school_laestab") and not details.get("previous_school"):
        rows.append((FIELD_LABELS["previous_school"], f"LAESTAB {details['previous_school_laestab']}"))
    if details.get("late"):
        rows.append(("Sent on time", "No: more than 5 school days after the pupil joined"))
    return rows
