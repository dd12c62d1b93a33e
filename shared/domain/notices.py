"""What a school's notice to the authority must say, and what the authority does with it.

School Attendance (Pupil Registration) (England) Regulations 2024 (SI 2024/208): reg 13 (new pupils within 5 school
days of entry; deletions no later than the deletion) and reg 9(1) (the grounds for deleting a pupil of compulsory
school age). One checker, `check_notice`, serves the forms, the CSV upload and the Common Transfer File import, so a
notice is held to the same rules however it arrives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from shared.domain.postcode import InvalidPostcode, normalise_postcode
from shared.domain.problems import Problem
from shared.domain.school_age import national_curriculum_year, year_group_label
from shared.domain.upn import InvalidUPN, validate_upn
from shared.domain.vocab import NoticeKind, Sex

JOINER_DEADLINE_SCHOOL_DAYS = 5  # reg 13: within five days of entering the pupil in the admission register

# Common Transfer File destinations that say where a leaver did not go.
DESTINATION_UNKNOWN = "XXXXXXX"  # next school not known: the pupil goes to the Lost Pupil Database
DESTINATION_OUT_OF_SCOPE = (
    "MMMMMMM"  # left for the independent sector, abroad or elsewhere outside England's maintained schools
)


@dataclass(frozen=True)
class Ground:
    code: str
    label: str
    # Extra answers the ground needs: a destination school for a pupil registered elsewhere, the enquiries made for
    # the absence grounds, the new address for a move.
    needs: tuple[str, ...] = ()
    routes_to_cme: bool = False


GROUNDS: dict[str, Ground] = {
    ground.code: ground
    for ground in (
        Ground("a", "Registered at another school", needs=("destination_laestab",)),
        Ground("b", "Finished in the nursery class and not expected to return"),
        Ground("c", "Dual registered, not expected to attend again, other schools agree"),
        Ground("d", "School attendance order amended to name another school", needs=("destination_laestab",)),
        Ground("e", "School attendance order revoked: suitable education elsewhere"),
        Ground("f", "Parent told the school in writing they will educate the child at home", routes_to_cme=True),
        Ground("g", "No longer lives within reasonable distance of the school", needs=("new_address",)),
        Ground(
            "h",
            "Did not return after leave of absence; the school and the authority made reasonable enquiries",
            needs=("enquiries_made",),
            routes_to_cme=True,
        ),
        Ground(
            "i",
            "Continuously absent for 20 or more school days; the school and the authority made reasonable enquiries",
            needs=("enquiries_made",),
            routes_to_cme=True,
        ),
        Ground("j", "Detained under a sentence"),
        Ground("k", "Died"),
        Ground("l", "Will pass compulsory school age and not continue into the sixth form"),
        Ground("m", "Boarding fees unpaid"),
        Ground("n", "Ceased to be a pupil at an independent or non-maintained special school"),
        Ground("o", "Permanently excluded"),
    )
}

# The columns of the CSV upload and the keys of the forms' answers: one vocabulary.
REQUIRED_FOR_EVERY_NOTICE = ("first_name", "last_name", "date_of_birth", "event_date")
EVENT_DATE_LABEL = {
    NoticeKind.JOINER: "Date of first attendance",
    NoticeKind.LEAVER: "Date of removal from the register",
    NoticeKind.PART_TIME: "Start date of the part-time timetable",
    NoticeKind.ABSENCE: "First day of absence",
    NoticeKind.INDEPENDENT_ADMISSION: "Date of admission",
}
REQUIRED_BY_KIND = {
    NoticeKind.JOINER: ("address", "postcode", "parent_name", "parent_phone"),
    NoticeKind.LEAVER: ("deletion_ground",),
    NoticeKind.PART_TIME: ("hours_per_week", "reason", "review_date", "agreed_with_parents"),
    NoticeKind.ABSENCE: ("contact_attempted",),
    NoticeKind.INDEPENDENT_ADMISSION: ("address", "postcode", "parent_name"),
}
FIELD_LABELS = {
    "kind": "Notice type",
    "upn": "UPN",
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "year_group": "Year group",
    "event_date": "Date",
    "address": "Address",
    "postcode": "Postcode",
    "parent_name": "Parent or carer",
    "parent_phone": "Parent or carer's phone number",
    "previous_school": "Previous school",
    "deletion_ground": "Ground for removal",
    "destination_laestab": "Destination school (LAESTAB)",
    "destination_school": "Destination school",
    "new_address": "New address",
    "new_la": "New local authority",
    "enquiries_made": "Enquiries made",
    "hours_per_week": "Hours a week",
    "reason": "Reason",
    "review_date": "Review date",
    "agreed_with_parents": "Agreed with parents",
    "contact_attempted": "Contact attempted",
    "concerns": "Concerns",
}
TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "address": 300,
    "parent_name": 200,
    "parent_phone": 30,
    "previous_school": 200,
    "destination_school": 200,
    "new_address": 300,
    "new_la": 100,
    "enquiries_made": 2000,
    "reason": 1000,
    "contact_attempted": 2000,
    "concerns": 2000,
}
# The answers a notice keeps in its details, in the order the forms ask them: text kept as given, but for those
# the checks parse (a number, a date, yes or no). A school chosen from the register adds previous_school_laestab.
DETAIL_FIELDS = (
    "year_group",
    "address",
    "parent_name",
    "parent_phone",
    "previous_school",
    "destination_school",
    "new_address",
    "new_la",
    "enquiries_made",
    "hours_per_week",
    "reason",
    "review_date",
    "agreed_with_parents",
    "contact_attempted",
    "concerns",
)
PARSED_DETAILS = frozenset({"hours_per_week", "review_date", "agreed_with_parents"})
# The answers that name a school by its LAESTAB, each of which must be a school in the schools register.
SCHOOL_FIELDS = {
    "previous_school_laestab": "Previous school (LAESTAB)",
    "destination_laestab": FIELD_LABELS["destination_laestab"],
}
# The letters files use, and the vocabulary's own codes (what a form built on Sex.choices() posts).
SEX_CODES = {"f": Sex.FEMALE, "m": Sex.MALE, "u": Sex.UNKNOWN, "": Sex.UNKNOWN} | {sex.value: sex for sex in Sex}
_LAESTAB = re.compile(r"^\d{7}$")


@dataclass
class CheckedNotice:
    """A notice that passed every check, in the shape the service stores."""

    kind: NoticeKind
    first_name: str
    last_name: str
    date_of_birth: date
    event_date: date
    upn: str | None = None
    sex: str = Sex.UNKNOWN
    postcode: str | None = None
    deletion_ground: str | None = None
    destination_laestab: str | None = None
    details: dict = field(default_factory=dict)

    def schools(self) -> dict[str, str]:
        """The answers that name a school by LAESTAB (SCHOOL_FIELDS), and the LAESTAB each gives."""
        given = {
            "previous_school_laestab": self.details.get("previous_school_laestab"),
            "destination_laestab": self.destination_laestab,
        }
        return {name: laestab for name, laestab in given.items() if laestab}


def _lower_first(label: str) -> str:
    return label if label[:3].isupper() else label[0].lower() + label[1:]


def parse_date(value: str) -> date | None:
    """A date as schools' systems write it: 2026-09-03, 03/09/2026 or 03-09-2026. None if it is not one."""
    value = (value or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value) or re.fullmatch(
        r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value
    )
    if not match:
        return None
    parts = [int(part) for part in match.groups()]
    year, month, day = parts if len(match.group(1)) == 4 else (parts[2], parts[1], parts[0])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def routes_to_cme(
    kind: str, ground: str | None, destination_laestab: str | None, *, absence_is_cme: bool = True
) -> bool:
    """Whether the CME team must act on the notice: every continuous-absence notice (where the authority counts a
    registered pupil's long absence as missing education, `absence_is_cme`), and a removal whose pupil has no known
    school to go to (destination unknown or out of scope, elective home education, the absence grounds)."""
    if kind == NoticeKind.ABSENCE:
        return absence_is_cme
    if kind != NoticeKind.LEAVER:
        return False
    if destination_laestab in (DESTINATION_UNKNOWN, DESTINATION_OUT_OF_SCOPE):
        return True
    return bool(ground and GROUNDS.get(ground, Ground("", "")).routes_to_cme)


def joiner_is_late(first_attendance: date, sent_on: date, add_school_days) -> bool:
    """A joiner's notice is late after the 5th school day from the pupil's entry (taken as first attendance)."""
    return sent_on > add_school_days(first_attendance, JOINER_DEADLINE_SCHOOL_DAYS)


def check_notice(raw: Mapping[str, str], today: date) -> tuple[CheckedNotice | None, list[Problem]]:
    """Check one notice's answers (strings, as typed or read from a file) and return it ready to store, or the
    problems, each naming its field, in the words a school user can act on."""
    value = {key: (raw.get(key) or "").strip() for key in FIELD_LABELS}
    problems: list[Problem] = []

    def problem(name: str, message: str) -> None:
        problems.append(Problem(name, message))

    try:
        kind = NoticeKind(value["kind"].lower())
    except ValueError:
        problem("kind", f"Notice type must be one of: {', '.join(k.value for k in NoticeKind)}")
        return None, problems

    for name in (*REQUIRED_FOR_EVERY_NOTICE, *REQUIRED_BY_KIND[kind]):
        if not value[name]:
            label = EVENT_DATE_LABEL[kind] if name == "event_date" else FIELD_LABELS[name]
            problem(name, f"Enter the {_lower_first(label)}")
    for name, limit in TEXT_LIMITS.items():
        if len(value[name]) > limit:
            problem(name, f"{FIELD_LABELS[name]} must be {limit:,} characters or fewer")

    upn = None
    if value["upn"]:
        try:
            upn = validate_upn(value["upn"])
        except InvalidUPN as error:
            problem("upn", str(error))

    sex = SEX_CODES.get(value["sex"].lower())
    if sex is None:
        problem("sex", "Sex must be F (female), M (male) or U (not known)")

    dob = parse_date(value["date_of_birth"]) if value["date_of_birth"] else None
    if value["date_of_birth"] and dob is None:
        problem("date_of_birth", "Date of birth must be a real date, like 27/03/2015")
    elif dob and dob >= today:
        problem("date_of_birth", "Date of birth must be in the past")

    event = parse_date(value["event_date"]) if value["event_date"] else None
    event_label = EVENT_DATE_LABEL[kind]
    if value["event_date"] and event is None:
        problem("event_date", f"{event_label} must be a real date, like 03/09/2026")
    elif event and kind != NoticeKind.PART_TIME and event > today:
        problem("event_date", f"{event_label} must be today or in the past")
    elif event and dob and event <= dob:
        problem("event_date", f"{event_label} must be after the date of birth")

    if value["year_group"] and dob:
        # the year group the pupil was in when it happened: a July leaver sent in September was in last year's
        expected = year_group_label(national_curriculum_year(dob, event if event and event <= today else today))
        given = value["year_group"].upper().replace("YEAR", "").strip()
        given_label = "Reception" if given in ("R", "RECEPTION", "0") else f"Year {given.lstrip('0') or '0'}"
        if given_label != expected:
            problem("year_group", f"Year group does not match the date of birth: a child born then is in {expected}")

    postcode = None
    if value["postcode"]:
        try:
            postcode = normalise_postcode(value["postcode"])
        except InvalidPostcode as error:
            problem("postcode", str(error))

    ground = value["deletion_ground"].lower() or None
    destination = value["destination_laestab"].upper() or None
    if kind == NoticeKind.LEAVER and ground:
        if ground not in GROUNDS:
            problem("deletion_ground", "Ground for removal must be a letter from a to o (regulation 9(1))")
        else:
            for name in GROUNDS[ground].needs:
                if not value[name]:
                    problem(name, f"Enter the {_lower_first(FIELD_LABELS[name])}: ground {ground} needs it")
    if destination and not (
        _LAESTAB.match(destination) or destination in (DESTINATION_UNKNOWN, DESTINATION_OUT_OF_SCOPE)
    ):
        problem(
            "destination_laestab",
            "Destination school must be its 7-digit LAESTAB, XXXXXXX (not known) or MMMMMMM (left for the independent "
            "sector, abroad or elsewhere)",
        )

    # Given by the notice form's school picker; not (yet) a column of the notices file.
    previous_laestab = (raw.get("previous_school_laestab") or "").strip()
    if previous_laestab and not _LAESTAB.match(previous_laestab):
        problem(
            "previous_school_laestab",
            "Previous school (LAESTAB) must be 7 digits: the local authority number and the school's number",
        )

    review = parse_date(value["review_date"]) if value["review_date"] else None
    if value["review_date"] and review is None:
        problem("review_date", "Review date must be a real date, like 03/12/2026")
    elif review and event and review <= event:
        problem("review_date", "Review date must be after the start date")
    hours = None
    if value["hours_per_week"]:
        try:
            hours = float(value["hours_per_week"])
        except ValueError:
            hours = None
        if hours is None or not 0 < hours < 32.5:
            problem("hours_per_week", "Hours a week must be a number more than 0 and less than 32.5")
    agreed = value["agreed_with_parents"].lower()
    if agreed and agreed not in ("yes", "no", "y", "n"):
        problem("agreed_with_parents", "Agreed with parents must be yes or no")

    if problems or dob is None or event is None or sex is None:
        return None, problems  # (each of the three is None only with a problem that says so)
    details: dict[str, object] = {
        name: value[name] for name in DETAIL_FIELDS if name not in PARSED_DETAILS and value[name]
    }
    if previous_laestab:
        details["previous_school_laestab"] = previous_laestab
    if hours is not None:
        details["hours_per_week"] = hours
    if review:
        details["review_date"] = review.isoformat()
    if agreed:
        details["agreed_with_parents"] = agreed in ("yes", "y")
    return (
        CheckedNotice(
            kind=kind,
            first_name=value["first_name"],
            last_name=value["last_name"],
            date_of_birth=dob,
            event_date=event,
            upn=upn,
            sex=sex,
            postcode=postcode,
            deletion_ground=ground if kind == NoticeKind.LEAVER else None,
            destination_laestab=destination,
            details=details,
        ),
        [],
    )
