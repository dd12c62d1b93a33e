"""Loading the demo: a fictional authority with schools, one user per role, children, reports, notices and cases
in every status (`seed`), then the demo schools' term so far of attendance (`seed_demo_attendance`). A fixed
random seed and a given `today` make every run the same.

`seed_demo_attendance` imports the term so far through the importer: a few hundred pupils, the children the
demo's cases placed in schools, and a few pupils still missing (some of them children the team knows), so the
attendance pages have marks and the intake queue has alerts.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.clock import uk_today
from shared.demo import cases as casework
from shared.demo import marks, notices, people
from shared.domain.casework import CaseStatus
from shared.domain.school_days import SchoolCalendar
from shared.domain.terms import authority_terms
from shared.models import Case, Child, Referral, School, User
from shared.services import attendance, audit

SEED = 20261123
DEMO_PUPILS = 400
DEMO_STOPPED = 3  # unknown pupils who have stopped coming: alerts with no child on record yet


def has_data(session: Session) -> bool:
    return bool(
        session.scalar(select(func.count()).select_from(User))
        or session.scalar(select(func.count()).select_from(School))
    )


def seed(
    session: Session,
    la_code: str,
    today: date | None = None,
    calendar: SchoolCalendar | None = None,
    passwords: dict[str, str] | None = None,
) -> list[tuple[str, str, str]]:
    """Load the demo authority; returns (email, role, password) for each account, to be shown once."""
    today = today or uk_today()
    calendar = calendar or SchoolCalendar()
    # One generator through every step in turn: the order of the steps is part of what makes the data.
    rng = random.Random(SEED)  # nosec B311 # made-up demo data, no secret

    schools = people.add_schools(session, la_code, rng)
    maintained = [school for school in schools if not school.is_independent]
    users, credentials = people.add_accounts(session, schools, passwords)
    children = people.add_children(session, la_code, maintained, today, rng)
    cases = casework.add_cases(session, children, maintained, users, today, calendar, rng)
    casework.add_case_history(session, cases, users, today, calendar, SEED)
    casework.add_referrals(session, cases, children, users, today, rng)
    notices.add_notices(session, schools, children, cases, users, today, rng, SEED)
    audit.record(
        session,
        None,
        "demo_seed",
        "database",
        None,
        after={"schools": len(schools), "children": len(children), "cases": len(cases)},
        actor_label="demo seed",
    )
    session.commit()
    return credentials


# The demo's attendance --------------------------------------------------------------------------------------------


def term_so_far(calendar: SchoolCalendar, today: date) -> list[date]:
    """The school days of the term `today` is in, up to yesterday; before its first day has passed, the whole of
    the term before. Nothing when the term dates do not reach back that far."""
    for term in reversed(authority_terms(calendar)):
        if term.start >= today:
            continue
        days, day = [], term.start
        while day < today and day <= term.end:
            if calendar.is_school_day(day):
                days.append(day)
            day += timedelta(days=1)
        if days:
            return days
    return []


def demo_pupils(session: Session) -> list[marks.PupilSpec]:
    """The demo children the attendance files should name: each child placed in a school by a case the team is
    monitoring (so the case shows their attendance since), and a few children with no case or referral who have
    stopped coming (so their alerts name a child on record); and a few pupils nobody knows yet who have stopped
    coming too."""
    wanted: list[marks.PupilSpec] = []
    placed = session.execute(
        select(Child, School.urn)
        .join(Case, Case.child_id == Child.id)
        .join(School, School.id == Case.placed_school_id)
        .where(Case.status == CaseStatus.MONITORING)
        .order_by(Case.id)
    )
    for n, (child, urn) in enumerate(placed):
        profile = marks.PERSISTENT_ABSENCE if n % 3 == 2 else marks.ORDINARY
        wanted.append(marks.PupilSpec(urn, profile, child.upn, child.first_name, child.last_name, child.date_of_birth))
    maintained = select(School.urn).where(School.type_group != "Independent schools").order_by(School.urn)
    schools = list(session.scalars(maintained))
    unknown_to_the_team = session.scalars(
        select(Child)
        .where(
            Child.upn.is_not(None),
            ~select(Case.id).where(Case.child_id == Child.id).exists(),
            ~select(Referral.id).where(Referral.child_id == Child.id).exists(),
        )
        .order_by(Child.id.desc())
        .limit(DEMO_STOPPED)
    )
    for n, child in enumerate(unknown_to_the_team):
        urn = schools[n * 5 % len(schools)]
        wanted.append(
            marks.PupilSpec(urn, marks.STILL_MISSING, child.upn, child.first_name, child.last_name, child.date_of_birth)
        )
    wanted += [marks.PupilSpec(schools[(n * 7 + 3) % len(schools)], marks.STILL_MISSING) for n in range(DEMO_STOPPED)]
    return wanted


def seed_demo_attendance(
    session: Session, calendar: SchoolCalendar, today: date, folder: Path, pupils: int = DEMO_PUPILS
) -> attendance.ImportSummary | None:
    """A modest attendance history for the demo schools, the term so far, imported as a school's file would be
    (the importer raises the alerts). Returns the import's summary, or None when the term dates do not cover
    today. `folder` is where the file is written while it is imported."""
    days = term_so_far(calendar, today)
    if not days:
        return None
    path = Path(folder) / "demo-attendance.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        marks.write_attendance(
            out, schools=marks.schools_in(session), days=days, pupils=pupils, extra=demo_pupils(session)
        )
    try:
        with path.open("rb") as stream:
            checked = attendance.check_file(session, stream, calendar=calendar, today=today)
        return attendance.import_marks(
            session, checked, actor=None, actor_label="demo seed", skip_bad_lines=False, today=today, calendar=calendar
        )
    finally:
        path.unlink(missing_ok=True)
