"""The Department for Education's termly children missing education (CME) collection: the children missing education
on a census day, how long each had been missing and why, their sex and year group, the totals the return asks for,
and the problems in the records that would make the return wrong. docs/dfe-return.md says what the collection asks
and what here is the service's own choice.

A child is missing education on the census day when their case was open that day: opened on or before it and not
closed by the end of it (a case closed later counts). A child already on a school's roll by the census day (a
placement, or a case closed on roll, dated on or before it) is on a roll, so not missing education, even if the
case was still open then.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from shared.clock import UK
from shared.domain.casework import CaseStatus
from shared.domain.school_age import national_curriculum_year, year_group_label
from shared.domain.school_days import SchoolCalendar
from shared.domain.vocab import Outcome, Sex
from shared.models import Case, Child
from shared.queries.dashboard.days import day_start, school_day_counter
from shared.queries.dashboard.placed import placed_on
from shared.queries.dashboard.scope import first_items
from shared.reference_data import primary_reason_categories, primary_reasons

UNKNOWN = "Unknown"  # the collection's category for a reason not known, and the band for a length not known
TOTAL = "Total"

# Length of time missing education on the census day, by calendar days since the child went missing. The collection
# publishes "12 weeks or less" and "more than 12 weeks"; the finer bands are the service's own and add up to those.
BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("4 weeks or less", 0, 28),
    ("Over 4 weeks to 12 weeks", 29, 84),
    ("Over 12 weeks to 26 weeks", 85, 182),
    ("Over 26 weeks to 52 weeks", 183, 364),
    ("Over 52 weeks", 365, None),
)
BAND_NAMES: tuple[str, ...] = (*(name for name, _, _ in BANDS), UNKNOWN)
SEXES = {Sex.FEMALE: "Female", Sex.MALE: "Male"}  # any other (not known) is Unknown
SEX_NAMES: tuple[str, ...] = (*SEXES.values(), UNKNOWN)
OTHER_YEAR = "Other year group"
YEAR_GROUPS: tuple[str, ...] = (*(year_group_label(year) for year in range(12)), OTHER_YEAR, UNKNOWN)

PRIMARY_REASON, SEX, YEAR_GROUP = "Primary reason category", "Sex", "Year group"
RETURN_COLUMNS = ("la_code", "census_date", "breakdown_topic", "breakdown", "length_of_time_missing", "child_count")
DETAIL_COLUMNS = (
    "case_reference",
    "sex",
    "year_group",
    "missing_since",
    "missing_since_recorded",
    "calendar_days_missing",
    "school_days_missing",
    "length_of_time_missing",
    "primary_reason_code",
    "primary_reason",
    "dfe_category",
    "problems",
)

NO_REASON = "No primary reason recorded: counted under Unknown"
NO_MISSING_SINCE = "No date the child went missing recorded: the date of the case's first item is used"
MISSING_AFTER_CENSUS = "Missing since a date after the census day: length of time counted as Unknown"
NO_DATE_OF_BIRTH = "No date of birth recorded: year group counted as Unknown"


def categories() -> tuple[str, ...]:
    """The collection's primary reason categories in the order of the reason list, Unknown among them."""
    found = dict.fromkeys(primary_reason_categories().values())
    found.setdefault(UNKNOWN)
    return tuple(found)


def band_for(calendar_days: int | None) -> str:
    if calendar_days is None or calendar_days < 0:
        return UNKNOWN
    return next(name for name, low, high in BANDS if calendar_days >= low and (high is None or calendar_days <= high))


def year_group_on(date_of_birth: date | None, census_day: date) -> str:
    """The child's national curriculum year group on the census day: Reception to Year 11, else Other or Unknown."""
    if date_of_birth is None:
        return UNKNOWN
    label = year_group_label(national_curriculum_year(date_of_birth, census_day))
    return label if label in YEAR_GROUPS else OTHER_YEAR


@dataclass(frozen=True)
class CensusChild:
    case_reference: str
    sex: str  # Female, Male or Unknown
    year_group: str  # Reception ... Year 11, Other year group, Unknown
    missing_since: date
    missing_since_recorded: bool  # False: the date of the case's first item stands in for it
    calendar_days: int | None  # None when missing since a date after the census day
    school_days: int | None  # after the missing-since day up to and including the census day
    band: str
    reason_code: str | None
    reason_label: str | None
    dfe_category: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataProblem:
    case_reference: str
    problem: str


@dataclass(frozen=True)
class CensusReturn:
    census_day: date
    children: list[CensusChild]
    by_band: list[tuple[str, int]]  # every band, Unknown last
    by_category: list[tuple[str, int]]  # every category
    by_sex: list[tuple[str, int]] = field(default_factory=list)  # Female, Male, Unknown
    by_year_group: list[tuple[str, int]] = field(default_factory=list)  # Reception ... Year 11, Other, Unknown
    cells: dict[tuple[str, str], int] = field(default_factory=dict)  # (category, band) -> children, every pair
    problems: list[DataProblem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.children)


def open_on(census_day: date) -> list:
    """Conditions on `Case` for a case open on the census day: opened on or before it, not closed by its end."""
    next_day = day_start(census_day + timedelta(days=1))
    return [
        Case.opened_at < next_day,
        or_(Case.closed_at.is_(None), Case.closed_at >= next_day),
    ]


def cme_on(session: Session, census_day: date, calendar: SchoolCalendar) -> CensusReturn:
    """The children missing education on the census day, each with how long and why, the totals by band, category,
    sex and year group (every one listed), and the records' problems. A child with two cases open is counted once,
    under the case missing longest. One query."""
    on_roll = placed_on(session)
    where = [
        *open_on(census_day),
        ~and_(
            Case.placed_school_id.is_not(None),
            or_(
                Case.status == CaseStatus.MONITORING,
                # (a closed case with no outcome is not on roll: NOT of an unknown would drop it)
                and_(Case.status == CaseStatus.CLOSED, Case.outcome.is_not(None), Case.outcome == Outcome.ON_ROLL),
            ),
            on_roll.is_not(None),
            on_roll <= census_day,
        ),
    ]
    first = first_items(select(Case.id).where(*where))
    rows = session.execute(
        select(
            Case.reference,
            Case.child_id,
            Child.sex,
            Child.date_of_birth,
            Case.missing_since,
            Case.primary_reason,
            Case.opened_at,
            first.c.first_at,
        )
        .join(Child, Child.id == Case.child_id)
        .outerjoin(first, first.c.case_id == Case.id)
        .where(*where)
        .order_by(Case.reference)
    ).all()
    by_child: dict[int, list[tuple]] = {}
    for reference, child_id, sex, born, missing_since, reason, opened_at, first_at in rows:
        recorded = missing_since is not None
        since = missing_since if recorded else (first_at or opened_at).astimezone(UK).date()
        by_child.setdefault(child_id, []).append((since, reference, SEXES.get(sex, UNKNOWN), born, recorded, reason))
    problems = []
    starts = []
    for child_cases in by_child.values():
        counted, *others = sorted(child_cases)
        starts.append(counted)
        problems += [
            DataProblem(other[1], f"Another case open for the same child, {counted[1]}, is counted: this one is not")
            for other in others
        ]
    known = [since for since, *_ in starts if since <= census_day]
    between = school_day_counter(calendar, min(known), census_day) if known else None
    labels, category_of = primary_reasons(), primary_reason_categories()
    children = []
    for since, reference, sex, born, recorded, reason in sorted(starts, key=lambda start: start[1]):
        found = []
        year_group = year_group_on(born, census_day)
        if reason is None:
            found.append(NO_REASON)
        elif reason not in labels:
            found.append(f"Primary reason {reason} is not on the list: counted under Unknown")
        if not recorded:
            found.append(NO_MISSING_SINCE)
        if born is None:
            found.append(NO_DATE_OF_BIRTH)
        elif year_group == OTHER_YEAR:
            found.append("Year group outside Reception to Year 11: check the child is of compulsory school age")
        if since > census_day or between is None:  # (between is None only when every case started after it)
            found.append(MISSING_AFTER_CENSUS)
            calendar_days = school_days = None
        else:
            calendar_days, school_days = (census_day - since).days, between(since, census_day)
        problems += [DataProblem(reference, problem) for problem in found]
        children.append(
            CensusChild(
                case_reference=reference,
                sex=sex,
                year_group=year_group,
                missing_since=since,
                missing_since_recorded=recorded,
                calendar_days=calendar_days,
                school_days=school_days,
                band=band_for(calendar_days),
                reason_code=reason,
                reason_label=labels.get(reason, reason) if reason else None,
                dfe_category=category_of.get(reason, UNKNOWN) if reason else UNKNOWN,
                problems=tuple(found),
            )
        )
    children.sort(key=lambda child: (child.missing_since, child.case_reference))
    problems.sort(key=lambda problem: problem.case_reference)  # (stable: a case's problems stay in order)
    every = categories()
    cells = {(category, band): 0 for category in every for band in BAND_NAMES}
    for child in children:
        cells[child.dfe_category, child.band] += 1
    return CensusReturn(
        census_day=census_day,
        children=children,
        by_band=[(band, sum(cells[category, band] for category in every)) for band in BAND_NAMES],
        by_category=[(category, sum(cells[category, band] for band in BAND_NAMES)) for category in every],
        by_sex=[(sex, sum(1 for child in children if child.sex == sex)) for sex in SEX_NAMES],
        by_year_group=[(year, sum(1 for child in children if child.year_group == year)) for year in YEAR_GROUPS],
        cells=cells,
        problems=problems,
    )


def _csv(header: tuple[str, ...], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def return_csv(census_return: CensusReturn, la_code: str) -> str:
    """The return as aggregate counts, no child named or identified (docs/dfe-return.md): children by primary reason
    category and length of time missing (each category's total, each length's total and the grand total among
    them), then by sex and by year group."""
    if not re.fullmatch(r"\d{3}", la_code or ""):
        raise ValueError("The local authority code must be its 3 digits, like 999")
    by_band, by_category = dict(census_return.by_band), dict(census_return.by_category)
    day = census_return.census_day.isoformat()
    rows = []
    for category in categories():
        rows += [(category, band, census_return.cells[category, band]) for band in BAND_NAMES]
        rows.append((category, TOTAL, by_category[category]))
    rows += [(TOTAL, band, by_band[band]) for band in BAND_NAMES]
    rows.append((TOTAL, TOTAL, census_return.total))
    return _csv(
        RETURN_COLUMNS,
        [
            *((la_code, day, PRIMARY_REASON, category, band, number) for category, band, number in rows),
            *((la_code, day, SEX, sex, TOTAL, number) for sex, number in census_return.by_sex),
            *((la_code, day, YEAR_GROUP, year, TOTAL, number) for year, number in census_return.by_year_group),
        ],
    )


def return_detail_csv(census_return: CensusReturn) -> str:
    """A row per child behind the return, for the team's own checking: the case reference (no names), sex and year
    group, how long and why, and the record's problems. Not for sending: the collection takes aggregate figures."""
    return _csv(
        DETAIL_COLUMNS,
        (
            (
                child.case_reference,
                child.sex,
                child.year_group,
                child.missing_since.isoformat(),
                "yes" if child.missing_since_recorded else "no",
                "" if child.calendar_days is None else child.calendar_days,
                "" if child.school_days is None else child.school_days,
                child.band,
                child.reason_code or "",
                child.reason_label or "",
                child.dfe_category,
                "; ".join(child.problems),
            )
            for child in census_return.children
        ),
    )
