"""A large authority for bench/dashboard.py, built in a database made by the migrations.

    from bench.dashboard_data import build
    built = build(engine, scale=1.0, seed=SEED, today=today, calendar=calendar)  # the steps' seconds and rows

Everything follows from the seed; `scale` multiplies the pupils, the cases and the intake (the schools and the team
stay as they are):
- 300 schools in an English authority's proportions (bench/attendance.py's `schools_for`); a lead, a manager and
  14 officers made by shared/services/users.py;
- 200,000 children, each an attendance pupil (AttendancePupil, linked to the child) at a school that takes their
  age, named from bench/matching.py's lists, UPNs from tests/bulk_files.py;
- a year of attendance: the school days of the last three terms of the app's term dates up to yesterday, one row
  of marks per pupil per school week as the importer keeps them (ten characters, shared/domain/attendance.py,
  built and counted by the importer's own `week_row`) and written by its bulk writer (COPY on PostgreSQL,
  executemany on SQLite) a school at a time; each pupil's runs of unexplained absence by its `pupil_runs`; an
  alert for each run still going after 10 school days; the schools' weekly rollups by its `recompute_rollups`
  for each term. Most pupils attend about 95% of sessions, one in seven is persistently absent, one or two in a
  hundred severely; each school closes a day or two a term; one pupil in two hundred is dual registered;
- 20,000 cases opened over three years, about 1,000 of them open (open, enquiries, waiting_other_la, monitoring;
  about one in ten unassigned), the rest closed with an outcome (a placed child's school recorded); the referral
  or school notice each came from; their checks, some of the open cases' overdue; intake still waiting (new and
  in-triage referrals, notices for the CME team, new alerts), referrals closed without a case, and the schools'
  other notices (joiners, leavers to a named school). A missing child's marks show it: unexplained absence from a
  little before the case opened until the child was found, and none after a child left the authority.

Every time stamp is in the daytime (08:30 to 17:30 UTC), so its day is the same in UTC and in UK time.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from bench.attendance import schools_for, specs_of
from bench.matching import FIRST_NAMES, STREETS, make_postcodes, surname
from bench.sign_in import PASSWORD, enrol
from shared.clock import utcnow
from shared.demo.marks import share_out
from shared.domain.attendance import week_start
from shared.domain.casework import OPEN_STATUSES, CaseStatus
from shared.domain.notices import DESTINATION_UNKNOWN
from shared.domain.reference import new_reference
from shared.domain.school_age import school_year_start
from shared.domain.school_days import SchoolCalendar
from shared.domain.terms import Term, authority_terms
from shared.domain.vocab import CheckResult, CheckStatus, CheckType, NoticeStatus, Outcome, ReferralStatus
from shared.models import (
    AttendanceAlert,
    AttendancePupil,
    AttendanceWeek,
    Case,
    Child,
    Enquiry,
    Referral,
    School,
    SchoolNotice,
)
from shared.reference_data import primary_reasons
from shared.services import users as user_service
from shared.services.attendance_alerts import pupil_runs
from shared.services.attendance_bulk import Writer
from shared.services.attendance_marks import WEEK_COLUMNS, week_row
from shared.services.attendance_rollups import recompute_rollups
from tests.bulk_files import upn

SEED = 20261204
PUPILS, CASES, OPEN_CASES, SCHOOLS, OFFICERS = 200_000, 20_000, 1_000, 300, 14
LEAD_EMAIL = "lead@bench.example"
YEARS_OF_CASES = 3
BATCH = 10_000

# Open cases by status (shares of OPEN_CASES), closed cases by outcome, referrals by source: (value, weight).
OPEN_SHARES = ((CaseStatus.OPEN, 15), (CaseStatus.ENQUIRIES, 45), (CaseStatus.WAITING_OTHER_LA, 15))
OPEN_SHARES += ((CaseStatus.MONITORING, 25),)
OUTCOMES = (
    (Outcome.ON_ROLL, 44),
    (Outcome.MOVED_TO_OTHER_LA, 16),
    (Outcome.ELECTIVE_HOME_EDUCATION, 12),
    (Outcome.MOVED_ABROAD, 8),
    (Outcome.REFERRED_TO_ADMISSIONS, 8),
    (Outcome.REFERRED_TO_SOCIAL_CARE, 5),
    (Outcome.NOT_LOCATED, 4),
    (Outcome.NOT_COMPULSORY_AGE, 3),
)
BACK_IN_SCHOOL = {Outcome.ON_ROLL, Outcome.REFERRED_TO_ADMISSIONS, Outcome.REFERRED_TO_SOCIAL_CARE}
SOURCES = (("school", 40), ("professional", 35), ("other_la", 15), ("public", 10))
FROM_REFERRAL = 0.55  # of cases: the rest came from a school's notice
# Attendance: pupils' patterns (the rest are ordinary), and the chance a week of each has some absence in it.
SEVERE, PERSISTENT = 0.014, 0.135
WEEKS_WITH_ABSENCE = {"ordinary": 0.15, "persistent": 0.6, "severe": 0.95}
DUAL, STOPPED = 0.005, 0.0005  # dual registered; stopped coming with no case yet
CLOSURE_DAYS_PER_TERM = 1.5
# Episodes of a week with absence: (code, weight, fewest and most sessions, whole days).
EPISODES = {
    "ordinary": (
        ("I", 45, 2, 6, True),
        ("L", 15, 1, 1, False),
        ("M", 12, 1, 1, False),
        ("O", 6, 1, 2, False),
        ("N", 4, 1, 1, False),
        ("C", 4, 2, 2, True),
        ("U", 3, 1, 1, False),
        ("V", 2, 2, 2, True),
        ("R", 2, 2, 2, True),
        ("P", 2, 1, 1, False),
    ),
    "persistent": (
        ("I", 40, 2, 8, True),
        ("O", 20, 1, 4, False),
        ("M", 8, 1, 1, False),
        ("N", 7, 1, 2, False),
        ("G", 6, 4, 10, True),
        ("C", 5, 2, 4, True),
        ("E", 3, 2, 6, True),
        ("C2", 4, 5, 5, False),
        ("L", 7, 1, 2, False),
    ),
    "severe": (
        ("O", 40, 4, 10, True),
        ("I", 25, 4, 10, True),
        ("N", 10, 2, 6, True),
        ("C2", 10, 5, 5, False),
        ("E", 5, 4, 10, True),
        ("G", 5, 6, 10, True),
    ),
}
SYMBOL = {"C2": "2"}  # two-character codes' one character in a week's marks
RUN_START, RUN = "NNNNNNOOOO", "O" * 10  # a child who stopped coming: N while the school waits for a reason, then O
PRESENT = "/\\" * 5


@dataclass
class Step:
    name: str
    seconds: float
    rows: int


@dataclass
class Built:
    steps: list[Step] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    terms: list[Term] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


@dataclass
class CasePlan:
    index: int  # the child's
    status: str
    opened: datetime
    closed: datetime | None = None
    outcome: str | None = None
    officer: int | None = None  # index into the officers, None when unassigned
    from_referral: bool = True


def _daytime(rng: random.Random, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(seconds=rng.randrange(8 * 3600))


def _earlier(rng: random.Random, moment: datetime, most_days: int) -> datetime:
    """A daytime moment before `moment` (itself daytime), up to `most_days` days before it."""
    found = _daytime(rng, moment.date() - timedelta(days=rng.randint(0, most_days)))
    return found if found < moment else moment - timedelta(minutes=rng.randint(1, 30))


def _later(rng: random.Random, moment: datetime, most_days: int) -> datetime:
    found = _daytime(rng, moment.date() + timedelta(days=rng.randint(0, most_days)))
    return found if found > moment else moment + timedelta(minutes=rng.randint(1, 30))


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _unique_reference(rng: random.Random, prefix: str, taken: set[str]) -> str:
    while (reference := new_reference(prefix, rng.randrange)) in taken:
        pass
    taken.add(reference)
    return reference


def year_of_terms(calendar: SchoolCalendar, today: date) -> list[Term]:
    """The last three terms that have begun by today."""
    begun = [term for term in authority_terms(calendar) if term.start < today]
    if len(begun) < 3:
        raise SystemExit(f"the term dates have only {len(begun)} terms before {today}: three are needed")
    return begun[-3:]


# The plan: who has a case, and how each case went -----------------------------------------------------------------


def plan_cases(rng: random.Random, pupils: int, scale: float, today: date) -> list[CasePlan]:
    count = min(pupils, max(1, round(CASES * scale)))
    open_count = min(count, max(1, round(OPEN_CASES * scale)))
    indexes = rng.sample(range(pupils), count)
    plans = []
    first = today - timedelta(days=365 * YEARS_OF_CASES)
    for number, index in enumerate(indexes):
        from_referral = rng.random() < FROM_REFERRAL
        if number < open_count:
            status = _weighted(rng, OPEN_SHARES)
            ago = min(int(rng.expovariate(1 / (90 if status == CaseStatus.MONITORING else 45))) + 1, 3 * 365 - 1)
            opened = _daytime(rng, today - timedelta(days=ago))
            officer = None if rng.random() < 0.1 else rng.randrange(OFFICERS)
            plans.append(CasePlan(index, status, opened, officer=officer, from_referral=from_referral))
            continue
        opened_on = first + timedelta(days=rng.randrange((today - first).days - 2))
        lasted = max(1, int(rng.lognormvariate(3.3, 0.7)))  # a month or so, some much longer
        closed_on = min(opened_on + timedelta(days=lasted), today - timedelta(days=1))
        plans.append(
            CasePlan(
                index,
                CaseStatus.CLOSED,
                _daytime(rng, opened_on),
                closed=_daytime(rng, closed_on),
                outcome=_weighted(rng, OUTCOMES),
                officer=rng.randrange(OFFICERS),
                from_referral=from_referral,
            )
        )
    plans.sort(key=lambda plan: plan.opened)
    return plans


# Attendance -------------------------------------------------------------------------------------------------------


class Marks:
    """Pupils' weeks of marks: each school's weeks as a template (present at every school session, '.' on days that
    are not school days, '#' on the school's closures), overlaid with a week of absence drawn from its pupil's
    pattern."""

    def __init__(self, rng: random.Random, calendar: SchoolCalendar, terms: list[Term], last_day: date):
        self.rng = rng
        self.first_day, self.last_day = terms[0].start, last_day
        self.mondays: list[date] = []
        self.base: list[str] = []
        monday = week_start(self.first_day)
        while monday <= last_day:
            days = [monday + timedelta(days=n // 2) for n in range(10)]
            template = "".join(
                ("/" if n % 2 == 0 else "\\")
                if self.first_day <= day <= last_day and calendar.is_school_day(day)
                else "."
                for n, day in enumerate(days)
            )
            if template != "." * 10:
                self.mondays.append(monday)
                self.base.append(template)
            monday += timedelta(days=7)
        self.terms = terms
        self.pools = {profile: [self._variant(profile) for _ in range(400)] for profile in EPISODES}
        self._overlaid: dict[tuple[str, str], str] = {}

    def _variant(self, profile: str) -> str:
        """A week with absence in it: codes where sessions change, '.' where the template stands."""
        rng = self.rng
        codes, weights = zip(*((code, weight) for code, weight, *_ in EPISODES[profile]), strict=True)
        episodes = {"ordinary": (1, 1, 1, 1, 2), "persistent": (1, 1, 2), "severe": (1, 2, 2)}[profile]
        week = ["."] * 10
        for _ in range(rng.choice(episodes)):
            code, _, fewest, most, whole_days = EPISODES[profile][codes.index(rng.choices(codes, weights)[0])]
            sessions = rng.randint(fewest, most)
            symbol = SYMBOL.get(code, code)
            if code == "C2":  # a part-time timetable: afternoons
                for slot in range(1, 10, 2):
                    week[slot] = symbol
                continue
            first = 2 * rng.randrange(5) if whole_days else rng.randrange(10)
            for slot in range(first, min(10, first + sessions)):
                week[slot] = symbol
        return "".join(week)

    def overlay(self, template: str, variant: str) -> str:
        """The variant's codes on the template's school sessions (closures and days off stay as they are)."""
        key = (template, variant)
        found = self._overlaid.get(key)
        if found is None:
            found = self._overlaid[key] = "".join(
                v if v != "." and t in "/\\" else t for t, v in zip(template, variant, strict=True)
            )
        return found

    def templates(self) -> list[str]:
        """A school's weeks: the base weeks with a day or two of closure a term."""
        weeks = list(self.base)
        for term in self.terms:
            in_term = [n for n, monday in enumerate(self.mondays) if term.start <= monday + timedelta(days=4)]
            in_term = [n for n in in_term if self.mondays[n] <= term.end]
            for _ in range(int(CLOSURE_DAYS_PER_TERM + self.rng.random())):
                if not in_term:
                    break
                n = self.rng.choice(in_term)
                day = self.rng.randrange(5)
                marks = weeks[n]
                if marks[2 * day] != ".":
                    weeks[n] = marks[: 2 * day] + "##" + marks[2 * day + 2 :]
        return weeks

    def week_of(self, when: date) -> int:
        """The index of the school week holding the day, or of the next one."""
        return bisect_left(self.mondays, week_start(when))


@dataclass
class PupilStory:
    profile: str
    run_from: int | None = None  # week index where unexplained absence starts (a missing child)
    run_to: int | None = None  # week index where it ends (found), None: still going
    leaves_at: int | None = None  # week index from which the pupil has no marks (left the authority)
    dual: tuple[int, frozenset[int]] | None = None  # partner school index, weekdays there


def _story(rng: random.Random, marks: Marks, plan: CasePlan | None) -> PupilStory:
    draw = rng.random()
    story = PupilStory("severe" if draw < SEVERE else "persistent" if draw < SEVERE + PERSISTENT else "ordinary")
    if plan is None:
        if rng.random() < STOPPED:  # stopped coming, nobody has told the team yet
            story.run_from = max(0, len(marks.mondays) - rng.randint(3, 8))
        return story
    last = len(marks.mondays)
    missing_from = marks.week_of((plan.opened - timedelta(days=rng.randint(7, 21))).date())
    if missing_from >= last:
        return story
    story.run_from = missing_from
    if plan.status == CaseStatus.MONITORING:
        story.run_to = min(last, missing_from + rng.randint(2, 5))
        story.profile = "persistent" if rng.random() < 0.4 else "ordinary"
    elif plan.status == CaseStatus.CLOSED:
        found = marks.week_of(plan.closed.date())
        if plan.outcome in BACK_IN_SCHOOL:
            story.run_to = min(found, last)
        else:
            story.run_to = story.leaves_at = min(found, last)
    return story


def pupil_weeks(marks: Marks, rng: random.Random, templates: list[list[str]], school: int, pupil_id: int, story):
    """(pupil_id, Monday, school index, marks) for each of the pupil's school weeks, in date order."""
    chance = WEEKS_WITH_ABSENCE[story.profile]
    pool = marks.pools[story.profile]
    home = templates[school]
    for n, template in enumerate(home):
        if story.leaves_at is not None and n >= story.leaves_at:
            return
        if story.run_from is not None and story.run_from <= n and (story.run_to is None or n < story.run_to):
            week = marks.overlay(template, RUN_START if n == story.run_from else RUN)
        elif rng.random() < chance:
            week = marks.overlay(template, pool[rng.randrange(len(pool))])
        else:
            week = template
        if story.dual is None:
            yield pupil_id, marks.mondays[n], school, week
            continue
        partner, weekdays = story.dual
        here = "".join("D" if slot // 2 in weekdays and mark in "/\\" else mark for slot, mark in enumerate(week))
        there = "".join(
            (PRESENT[slot] if slot // 2 in weekdays else "D") if mark in "/\\" else mark
            for slot, mark in enumerate(templates[partner][n])
        )
        yield from sorted(
            ((pupil_id, marks.mondays[n], school, here), (pupil_id, marks.mondays[n], partner, there)),
            key=lambda row: row[2],
        )


# Building ---------------------------------------------------------------------------------------------------------


def build(engine, *, scale: float, seed: int, today: date, calendar: SchoolCalendar) -> Built:
    """Write the authority into an empty database built by the migrations."""
    rng = random.Random(seed)
    built = Built()
    terms = year_of_terms(calendar, today)
    last_day = min(today - timedelta(days=1), terms[-1].end)
    built.terms, built.first_day, built.last_day = terms, terms[0].start, last_day
    pupils = max(1, round(PUPILS * scale))

    def step(name: str, work) -> object:
        started = time.perf_counter()
        rows, result = work()
        built.steps.append(Step(name, time.perf_counter() - started, rows))
        return result

    with Session(engine) as session:
        schools, officers, lead = step("schools and staff", lambda: _schools_and_staff(session))
        plans = plan_cases(rng, pupils, scale, today)
        marks = Marks(rng, calendar, terms, last_day)
        children = _Children(session, rng, schools, marks, plans, pupils)
        children.write(built)
        step("weekly rollups (the importer's)", lambda: _rollups(session, schools, built, calendar))
        work = _Casework(session, rng, today, schools, officers, lead, children, plans, scale)
        step("cases", work.cases)
        step("referrals", work.referrals)
        step("school notices", work.notices)
        step("checks", work.checks)
        step("alerts", work.alerts)
        session.commit()
    if engine.dialect.name == "postgresql":
        step("sequences and ANALYZE", lambda: _finish_postgresql(engine))
    built.counts = {"pupils": pupils, "cases": len(plans), **children.counts, **work.counts}
    return built


def _schools_and_staff(session: Session):
    schools = schools_for(SCHOOLS)
    session.add_all(schools)
    session.commit()
    lead = user_service.create_user(session, LEAD_EMAIL, "Bench Lead", "lead", PASSWORD)
    enrol(lead, utcnow())
    user_service.create_user(session, "manager@bench.example", "Bench Manager", "manager", PASSWORD)
    officers = [
        user_service.create_user(
            session, f"officer{n + 1}@bench.example", f"Bench Officer {n + 1}", "officer", PASSWORD
        )
        for n in range(OFFICERS)
    ]
    return len(schools) + OFFICERS + 2, (schools, [officer.id for officer in officers], lead.id)


def _rollups(session: Session, schools: list[School], built: Built, calendar: SchoolCalendar):
    spans = {school.id: (built.first_day, built.last_day) for school in schools}
    recompute_rollups(session, spans, calendar, lambda _share: None)
    rows = session.execute(text("SELECT count(*) FROM attendance_school_weeks")).scalar()
    return rows, None


def _finish_postgresql(engine):
    with engine.begin() as connection:
        for table in ("children", "attendance_pupils", "cases"):
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 - fixed names
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))  # as autovacuum would after a load this size
    return 0, None


class _Children:
    """Children, their pupils and a year of their marks, a school at a time."""

    def __init__(self, session, rng, schools, marks: Marks, plans: list[CasePlan], pupils: int):
        self.session, self.rng, self.schools, self.marks = session, rng, schools, marks
        self.specs = specs_of(schools)
        weights = [spec.weight * (spec.oldest - spec.youngest + 1) for spec in self.specs]
        self.per_school = share_out(pupils, weights)
        self.by_child = {plan.index: plan for plan in plans}
        self.details: dict[int, tuple] = {}  # index -> (first, last, born, postcode, school index), for the intake
        self.postcodes = make_postcodes(rng, max(1, pupils // 8))
        self.candidates: list = []  # (pupil id, run start, sessions, school id): alerts to raise
        self.counts: dict[str, int] = {}

    def write(self, built: Built) -> None:
        rng, marks = self.rng, self.marks
        writer = Writer(self.session)
        templates = [marks.templates() for _ in self.schools]
        year = school_year_start(marks.last_day)
        counted, days = {}, {}
        timings = {"children and pupils": 0.0, "attendance weeks": 0.0, "pupils' runs": 0.0}
        rows = {"children and pupils": 0, "attendance weeks": 0, "pupils' runs": 0}
        started = time.perf_counter()
        index = 0
        runs: list[tuple] = []
        for school, (spec, count) in enumerate(zip(self.specs, self.per_school, strict=True)):
            school_id = self.schools[school].id
            children, pupils, weeks = [], [], []
            for _ in range(count):
                child_id = index + 1
                sex = rng.choice("FM")
                age = rng.randint(spec.youngest, spec.oldest)
                born = date(year - age - 1, 9, 1) + timedelta(days=rng.randrange(365))
                first, last, postcode = FIRST_NAMES[sex].pick(rng), surname(rng), rng.choice(self.postcodes)
                number = upn(index)
                children.append(_child_row(child_id, number if rng.random() < 0.85 else None, first, last, born, sex))
                children[-1] |= {"postcode": postcode, "current_school_id": school_id}
                children[-1]["address_line_1"] = f"{rng.randint(1, 200)} {rng.choice(STREETS)}"
                plan = self.by_child.get(index)
                self.details[index] = (first, last, born, postcode, school, number)
                story = _story(rng, marks, plan)
                if story.run_from is None and rng.random() < DUAL and len(self.schools) > 1:
                    partner = rng.choice([n for n in range(len(self.schools)) if n != school])
                    story.dual = (partner, frozenset(rng.sample(range(5), rng.choice((1, 2)))))
                mine = list(pupil_weeks(marks, rng, templates, school, child_id, story))
                pupils.append(
                    {
                        "id": child_id,
                        "upn": number,
                        "first_name": first,
                        "last_name": last,
                        "date_of_birth": born,
                        "school_id": school_id,
                        "child_id": child_id,
                    }
                )
                if mine:
                    ids = [(p, m, self.schools[s].id, w) for p, m, s, w in mine]
                    tick = time.perf_counter()
                    found, last_day, candidate = pupil_runs(child_id, ids)
                    timings["pupils' runs"] += time.perf_counter() - tick
                    runs.append((child_id, last_day, found))
                    if candidate is not None:
                        self.candidates.append(candidate)
                    weeks.extend(ids)
                index += 1
            tick = time.perf_counter()
            self.session.execute(insert(Child), children)
            self.session.execute(insert(AttendancePupil), pupils)
            timings["children and pupils"] += time.perf_counter() - tick
            rows["children and pupils"] += 2 * len(children)
            tick = time.perf_counter()
            rows["attendance weeks"] += writer.insert(
                AttendanceWeek.__table__,
                WEEK_COLUMNS,
                (week_row(p, m, s, w, counted, days, writer.day) for p, m, s, w in weeks),
            )
            timings["attendance weeks"] += time.perf_counter() - tick
        tick = time.perf_counter()
        day = writer.day
        writer.set_runs(
            [
                (
                    day(last_day),
                    day(found.current.start) if found.current else None,
                    found.current.sessions if found.current else 0,
                    day(found.longest.start) if found.longest else None,
                    found.longest.sessions if found.longest else 0,
                    pupil_id,
                )
                for pupil_id, last_day, found in runs
            ],
            datetime.now(UTC),
        )
        timings["pupils' runs"] += time.perf_counter() - tick
        rows["pupils' runs"] = len(runs)
        total = time.perf_counter() - started
        built.steps.append(Step("generate children and marks", total - sum(timings.values()), index))
        built.steps += [Step(f"write {name}", seconds, rows[name]) for name, seconds in timings.items()]
        self.counts |= {"attendance weeks": rows["attendance weeks"], "distinct weeks of marks": len(counted)}


def _child_row(child_id: int, number: str | None, first: str, last: str, born: date, sex: str) -> dict:
    now = datetime(2024, 9, 2, 10, tzinfo=UTC)
    return {
        "id": child_id,
        "upn": number,
        "first_name": first,
        "last_name": last,
        "date_of_birth": born,
        "sex": "female" if sex == "F" else "male",
        "town": "Northbridge",
        "looked_after": False,
        "send_status": "unknown",
        "vulnerable_groups": [],
        "created_at": now,
        "updated_at": now,
    }


def _batches(rows: list[dict]) -> Iterator[list[dict]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


class _Casework:
    """Cases, the referrals and notices they came from, their checks, the intake still waiting, and alerts."""

    def __init__(self, session, rng, today, schools, officers, lead, children: _Children, plans, scale):
        self.session, self.rng, self.today = session, rng, today
        self.schools, self.officers, self.lead = schools, officers, lead
        self.children, self.plans, self.scale = children, plans, scale
        self.taken: set[str] = set()
        self.counts: dict[str, int] = {}
        self.reasons = list(primary_reasons())

    def _insert(self, model, rows: list[dict]) -> int:
        for batch in _batches(rows):
            self.session.execute(insert(model), batch)
        return len(rows)

    def _scaled(self, count: int) -> int:
        return max(1, round(count * self.scale))

    def _officer(self, plan: CasePlan) -> int | None:
        return None if plan.officer is None else self.officers[plan.officer]

    def cases(self):
        rng, rows = self.rng, []
        for number, plan in enumerate(self.plans, start=1):
            school = self.children.details[plan.index][4]
            opened_on = plan.opened.date()
            row = {
                "id": number,
                "reference": _unique_reference(rng, "CS", self.taken),
                "child_id": plan.index + 1,
                "status": plan.status,
                "risk_level": _weighted(rng, (("low", 30), ("medium", 55), ("high", 15))),
                "assigned_to_id": self._officer(plan),
                "opened_at": plan.opened,
                "opened_by_id": self.officers[rng.randrange(len(self.officers))],
                "missing_since": opened_on - timedelta(days=rng.randint(0, 20)),
                "primary_reason": rng.choice(self.reasons),
                "located_on": None,
                "closed_at": plan.closed,
                "outcome": plan.outcome,
                "outcome_details": {},
                "placed_school_id": None,
                "review_date": None,
                "closed_by_id": self._officer(plan) if plan.closed else None,
                "closure_justification": None,
            }
            if plan.status == CaseStatus.MONITORING:
                located = min(self.today, opened_on + timedelta(days=rng.randint(5, 60)))
                row |= {"located_on": located, "placed_school_id": self.schools[school].id}
                row |= {"review_date": self.today + timedelta(days=rng.randint(5, 40))}
                row["outcome_details"] = {"on_roll_from": located.isoformat()}
            elif plan.closed is not None:
                closed_on = plan.closed.date()
                if plan.outcome not in (Outcome.NOT_LOCATED, Outcome.NOT_COMPULSORY_AGE):
                    row["located_on"] = max(opened_on, closed_on - timedelta(days=rng.randint(0, 5)))
                row["outcome_details"] = {"date": closed_on.isoformat()}
                if plan.outcome == Outcome.ON_ROLL:
                    row["placed_school_id"] = self.schools[school].id
                    row["outcome_details"]["school"] = self.schools[school].name
            rows.append(row)
        return self._insert(Case, rows), None

    def referrals(self):
        rng, rows = self.rng, []
        details = self.children.details

        def referral(index: int | None, received: datetime, status: str, **extra) -> dict:
            first, last, born, postcode, *_ = (
                details[index] if index is not None else details[rng.randrange(len(details))]
            )
            source = _weighted(rng, SOURCES)
            return {
                "reference": _unique_reference(rng, "RF", self.taken),
                "source": source,
                "status": status,
                "urgent": rng.random() < 0.08,
                "received_at": received,
                "answers": {},
                "child_first_name": first,
                "child_last_name": last,
                "child_date_of_birth": born,
                "child_postcode": postcode,
                "reporter_organisation": "Northbridge Health Visiting" if source == "professional" else None,
                "child_id": index + 1 if index is not None else None,
                "case_id": None,
                "triaged_by_id": None,
                "triaged_at": None,
                **extra,
            }

        for number, plan in enumerate(self.plans, start=1):
            if plan.from_referral:
                received = _earlier(rng, plan.opened, 3)
                triage = {"case_id": number, "triaged_by_id": self.lead, "triaged_at": plan.opened}
                rows.append(referral(plan.index, received, ReferralStatus.LINKED, **triage))
        first = self.today - timedelta(days=365 * YEARS_OF_CASES)
        for _ in range(self._scaled(3_000)):  # looked into, no case needed (on a roll after all, a duplicate)
            received = _daytime(rng, first + timedelta(days=rng.randrange((self.today - first).days)))
            closed = {"triaged_by_id": self.lead, "triaged_at": _later(rng, received, 3)}
            rows.append(referral(None, received, ReferralStatus.CLOSED, closed_reason="Known to be on roll", **closed))
        for status, count, days in ((ReferralStatus.NEW, 40, 5), (ReferralStatus.IN_TRIAGE, 15, 10)):
            for _ in range(self._scaled(count)):
                received = _daytime(rng, self.today - timedelta(days=rng.randrange(days)))
                rows.append(referral(None, received, status))
        self.counts["referrals"] = len(rows)
        return self._insert(Referral, rows), None

    def notices(self):
        rng, rows = self.rng, []
        details, schools = self.children.details, self.schools

        def notice(index: int, submitted: datetime, kind: str, status: str, routed: bool, **extra) -> dict:
            first, last, born, postcode, school, number = details[index]
            return {
                "reference": _unique_reference(rng, "SN", self.taken),
                "school_id": schools[school].id,
                "kind": kind,
                "status": status,
                "submitted_at": submitted,
                "upn": number,
                "pupil_first_name": first,
                "pupil_last_name": last,
                "pupil_date_of_birth": born,
                "pupil_postcode": postcode,
                "event_date": submitted.date() - timedelta(days=rng.randint(0, 10)),
                "deletion_ground": None,
                "destination_laestab": None,
                "routed_to_cme": routed,
                "details": {},
                "child_id": None,
                "case_id": None,
                "triaged_by_id": None,
                "triaged_at": None,
                **extra,
            }

        def for_cme() -> dict:
            kind = "absence" if rng.random() < 0.4 else "leaver"
            if kind == "absence":
                return {"kind": kind}
            ground = _weighted(rng, (("i", 35), ("h", 15), ("f", 25), ("g", 25)))
            return {"kind": kind, "deletion_ground": ground} | (
                {"destination_laestab": DESTINATION_UNKNOWN} if ground == "g" else {}
            )

        for number, plan in enumerate(self.plans, start=1):
            if not plan.from_referral or rng.random() < 0.1:  # some cases have both
                status = NoticeStatus.ATTACHED if plan.status in OPEN_STATUSES else NoticeStatus.ACTIONED
                submitted = _earlier(rng, plan.opened, 3)
                extra = {"child_id": plan.index + 1, "case_id": number, "triaged_by_id": self.lead}
                rows.append(
                    notice(
                        plan.index, submitted, status=status, routed=True, triaged_at=plan.opened, **extra | for_cme()
                    )
                )
        first = self.today - timedelta(days=365 * YEARS_OF_CASES)
        span = (self.today - first).days
        pupils = len(details)
        for _ in range(self._scaled(2_000)):  # for the team, closed without a case
            submitted = _daytime(rng, first + timedelta(days=rng.randrange(span)))
            rows.append(
                notice(rng.randrange(pupils), submitted, status=NoticeStatus.ACTIONED, routed=True, **for_cme())
            )
        for _ in range(self._scaled(30)):  # waiting for the team
            submitted = _daytime(rng, self.today - timedelta(days=rng.randrange(7)))
            rows.append(notice(rng.randrange(pupils), submitted, status=NoticeStatus.FOR_CME, routed=True, **for_cme()))
        for _ in range(self._scaled(40_000)):  # joiners, and leavers to a named school: nothing for the team
            submitted = _daytime(rng, first + timedelta(days=rng.randrange(span)))
            if rng.random() < 0.5:
                extra = {"kind": "joiner"}
            else:
                other = schools[rng.randrange(len(schools))]
                extra = {"kind": "leaver", "deletion_ground": "a", "destination_laestab": other.laestab}
            rows.append(notice(rng.randrange(pupils), submitted, status=NoticeStatus.RECEIVED, routed=False, **extra))
        self.counts["school notices"] = len(rows)
        return self._insert(SchoolNotice, rows), None

    def checks(self):
        rng, rows, today = self.rng, [], self.today
        types = [check.value for check in CheckType]
        for number, plan in enumerate(self.plans, start=1):
            opened_on = plan.opened.date()
            for check_type in rng.sample(types, rng.randint(3, 6)):
                due = opened_on + timedelta(days=rng.randint(3, 20))
                if plan.closed is not None:
                    status = _weighted(
                        rng, ((CheckStatus.DONE, 75), (CheckStatus.NOT_APPLICABLE, 20), (CheckStatus.TO_DO, 5))
                    )
                elif due < today:
                    status = _weighted(
                        rng,
                        (
                            (CheckStatus.DONE, 75),
                            (CheckStatus.ASKED, 12),
                            (CheckStatus.TO_DO, 8),
                            (CheckStatus.NOT_APPLICABLE, 5),
                        ),
                    )
                else:
                    status = _weighted(rng, ((CheckStatus.TO_DO, 60), (CheckStatus.ASKED, 40)))
                asked = min(today, due - timedelta(days=rng.randint(0, 3))) if status != CheckStatus.TO_DO else None
                done = status == CheckStatus.DONE
                answered = min(today, (asked or due) + timedelta(days=rng.randint(0, 7))) if done else None
                result = _weighted(
                    rng, ((CheckResult.NOT_KNOWN, 60), (CheckResult.LOCATED, 25), (CheckResult.NO_REPLY, 15))
                )
                rows.append(
                    {
                        "case_id": number,
                        "check_type": check_type,
                        "status": status,
                        "due_on": due,
                        "asked_on": asked,
                        "answered_on": answered,
                        "result": result if done else None,
                        "created_at": plan.opened,
                        "updated_at": plan.opened,
                        "created_by_id": self.officers[rng.randrange(len(self.officers))],
                    }
                )
        self.counts["checks"] = len(rows)
        return self._insert(Enquiry, rows), None

    def alerts(self):
        """An alert for each run of unexplained absence still going after 10 school days at the pupil's last marks,
        as the importer raises them: linked to the child's case, or new in the intake queue."""
        rng, rows = self.rng, []
        case_of = {plan.index + 1: number for number, plan in enumerate(self.plans, start=1)}  # the latest
        for candidate in self.children.candidates:
            first, last, born, _, _, number = self.children.details[candidate.pupil_id - 1]
            case_id = case_of.get(candidate.pupil_id)
            rows.append(
                {
                    "reference": _unique_reference(rng, "AA", self.taken),
                    "pupil_id": candidate.pupil_id,
                    "school_id": candidate.school_id,
                    "run_start": candidate.run_start,
                    "sessions": candidate.sessions,
                    "raised_at": _daytime(rng, min(self.today, candidate.run_start + timedelta(days=14))),
                    "status": ReferralStatus.LINKED if case_id else ReferralStatus.NEW,
                    "upn": number,
                    "pupil_first_name": first,
                    "pupil_last_name": last,
                    "pupil_date_of_birth": born,
                    "child_id": candidate.pupil_id,
                    "case_id": case_id,
                }
            )
        self.counts["alerts"] = len(rows)
        return self._insert(AttendanceAlert, rows), None
