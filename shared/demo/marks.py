"""Realistic attendance files for the demo data, the tests and the benchmark, in the import's CSV format:

    URN,UPN,Surname,Forename,DOB,Date,Session,Code

one row per pupil per session over school days of the authority's calendar (weekends, bank holidays, holidays and
closures skipped), a school's pupils one after another, each pupil's sessions in date order.

Pupils are spread over the schools by size (a secondary's year group is bigger than a primary's), with names,
dates of birth fitting the school's age range, and UPNs of the school's LA and establishment with their right
check letter. Each pupil follows one of a few patterns:

- most attend about 95% of sessions: illness (I) for a day or a few, appointments (M), some late marks (L, U),
  the odd unexplained day (O, or N in the last days, before the school has the reason), a few term-time holidays
  (G), trips (V) and approved sport (P);
- about one in six is persistently absent (10% or more of sessions missed), with more unauthorised absence,
  a few on a part-time timetable (C2) or suspended (E);
- one or two in a hundred is severely absent (half their sessions or more);
- a few in a thousand have stopped coming: 10 school days or more of unexplained absence in a row (N, then O),
  most still going on the last day of the file;
- one in two hundred is dual registered: D on the days they are at their other school, which has them too.

Each school closes on a day or two (#) for all its pupils. Everything follows from the seed: the same arguments
give the same bytes. The file is written as it is made, a pupil at a time, so its size does not matter.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.demo.people import REGISTER_FIRST_NAMES, REGISTER_LAST_NAMES
from shared.domain.attendance import SESSIONS
from shared.domain.problems import required
from shared.domain.school_age import school_year_start
from shared.domain.school_days import SchoolCalendar
from shared.domain.terms import authority_terms
from shared.domain.upn import check_letter
from shared.models import School

HEADER = "URN,UPN,Surname,Forename,DOB,Date,Session,Code\n"
SEED = 20261203

# Serial numbers start here, clear of the numbers the demo seed gives its own children's UPNs.
FIRST_SERIAL = 400
YOUNGEST, OLDEST = 4, 15  # age on 31 August at the start of the school year: Reception to Year 11

# Shares of pupils by pattern (the rest are ordinary).
SEVERE, PERSISTENT, STOPPED, DUAL = 0.014, 0.135, 0.003, 0.005
HOLIDAY = 0.025  # of the others, in a term: a run of term-time holiday (G)
CLOSURES = 1.5  # days a school closes (#) in a term
TERM_DAYS = 65
STOPPED_ONGOING = 0.6  # of the runs of unexplained absence: still going on the last day
LONG_RUN_DAYS = 10

ORDINARY, PERSISTENT_ABSENCE, SEVERE_ABSENCE, STOPPED_COMING = "ordinary", "persistent", "severe", "stopped"
STILL_MISSING = "missing"  # asked for only: stopped coming, and still not back on the last day
PROFILES = (ORDINARY, PERSISTENT_ABSENCE, SEVERE_ABSENCE, STOPPED_COMING, STILL_MISSING)

# Kinds of absence by pattern: (code, weight, shortest and longest in days; 0 for a single session).
_EPISODES = {
    ORDINARY: (("I", 64, 1, 3), ("M", 16, 0, 0), ("O", 6, 1, 1), ("N", 4, 0, 1), ("C", 5, 1, 1), ("R", 2, 1, 1)),
    PERSISTENT_ABSENCE: (
        ("I", 45, 1, 4),
        ("O", 20, 1, 2),
        ("M", 10, 0, 0),
        ("N", 7, 0, 1),
        ("C", 5, 1, 2),
        ("G", 6, 2, 5),
        ("E", 3, 1, 3),
        ("C2", 4, 5, 15),
    ),
    SEVERE_ABSENCE: (
        ("O", 40, 1, 5),
        ("I", 25, 1, 4),
        ("N", 10, 1, 3),
        ("C2", 10, 5, 20),
        ("E", 5, 1, 5),
        ("M", 5, 0, 0),
        ("G", 5, 3, 5),
    ),
}
_EPISODES[STOPPED_COMING] = _EPISODES[STILL_MISSING] = _EPISODES[ORDINARY]


@dataclass(frozen=True)
class SchoolSpec:
    """A school pupils are generated for. Ages are ages on 31 August at the start of the school year."""

    urn: int
    la_code: str
    establishment_number: str
    youngest: int = YOUNGEST
    oldest: int = OLDEST
    weight: float = 1.0  # pupils a year group holds, relative to other schools


@dataclass(frozen=True)
class PupilSpec:
    """A pupil the file must have, at a given school with a given pattern; details left out are generated."""

    urn: int
    profile: str = ORDINARY
    upn: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None


@dataclass
class Written:
    """What a generated file holds."""

    rows: int = 0
    pupils: int = 0
    schools: int = 0
    first_day: date | None = None
    last_day: date | None = None
    profiles: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PROFILES, 0))
    dual_registered: int = 0
    ongoing_runs: int = 0  # pupils given 10 school days or more of unexplained absence lasting to the last day


class GeneratorError(ValueError):
    """Arguments the generator cannot work with, said as a person would fix them."""


# Schools and days -------------------------------------------------------------------------------------------------


def _age_range(low: int | None, high: int | None) -> tuple[int, int]:
    youngest = max(YOUNGEST, low if low is not None else YOUNGEST)
    oldest = min(OLDEST, high - 1 if high is not None else OLDEST)
    return (youngest, oldest) if youngest <= oldest else (YOUNGEST, OLDEST)


def school_spec(
    urn: int, la_code: str, establishment_number: str, low: int | None, high: int | None, kind: str = ""
) -> SchoolSpec:
    """A school from its register entry: its statutory ages, and its kind for its size (special schools and
    pupil referral units are small, secondaries' year groups large)."""
    youngest, oldest = _age_range(low, high)
    kind = kind.lower()
    if "special" in kind or "pupil referral" in kind or "alternative provision" in kind:
        weight = 0.3
    elif youngest >= 11:
        weight = 5.0
    else:
        weight = 1.0
    return SchoolSpec(urn, la_code, establishment_number, youngest, oldest, weight)


def schools_in(session: Session) -> list[SchoolSpec]:
    """The open schools in the register with an establishment number, by URN."""
    rows = session.execute(
        select(
            School.urn,
            School.la_code,
            School.establishment_number,
            School.statutory_low_age,
            School.statutory_high_age,
            School.establishment_type,
        )
        .where(School.establishment_number.is_not(None), School.status.like("Open%"))
        .order_by(School.urn)
    )
    return [
        school_spec(urn, la_code, required(establishment_number), low, high, kind)  # the WHERE asks for a number
        for urn, la_code, establishment_number, low, high, kind in rows
    ]


def school_days_from(calendar: SchoolCalendar, start: date, days: int) -> list[date]:
    """`days` school days from `start` (itself counted when it is one), only within the authority's terms."""
    if days < 1:
        raise GeneratorError("The number of school days must be 1 or more")
    found: list[date] = []
    for term in calendar.terms:
        day = max(start, term.start)
        while day <= term.end:
            if calendar.is_school_day(day):
                found.append(day)
                if len(found) == days:
                    return found
            day += timedelta(days=1)
    last = calendar.covered_to.isoformat() if calendar.covered_to else "no term dates at all"
    raise GeneratorError(
        f"The term dates have only {len(found)} school days from {start.isoformat()} (they end {last}): "
        "choose an earlier start or fewer days"
    )


def latest_term_start(calendar: SchoolCalendar, days: int, today: date) -> date:
    """The start of the latest term from which `days` school days have all passed by `today`."""
    for term in reversed(authority_terms(calendar)):
        if term.start >= today:
            continue
        try:
            if school_days_from(calendar, term.start, days)[-1] < today:
                return term.start
        except GeneratorError:
            continue
    raise GeneratorError(f"No term in the term dates has {days} school days before {today.isoformat()}")


# The file ---------------------------------------------------------------------------------------------------------


def _weighted(pairs) -> tuple[tuple[str, ...], list[float]]:
    names, weights = zip(*pairs, strict=True)
    return names, list(accumulate(weights))


_FIRST, _FIRST_CUMULATIVE = _weighted(REGISTER_FIRST_NAMES)
_LAST, _LAST_CUMULATIVE = _weighted(REGISTER_LAST_NAMES)


def share_out(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers (largest remainders)."""
    whole = sum(weights)
    exact = [total * weight / whole for weight in weights]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(weights)), key=lambda n: (counts[n] - exact[n], n))
    for n in by_remainder[: total - sum(counts)]:
        counts[n] += 1
    return counts


class _Generator:
    def __init__(self, schools: Sequence[SchoolSpec], days: Sequence[date], seed: int):
        self.rng = random.Random(seed)  # nosec B311 # made-up data, no secret
        self.schools = list(schools)
        self.days = list(days)
        self.sessions = 2 * len(self.days)
        self.school_year = school_year_start(self.days[0])
        self.slots = [f"{day.isoformat()},{session}," for day in self.days for session in SESSIONS]
        self._lines: dict[str, list[str]] = {}
        # Present: / in the morning, \ in the afternoon.
        self.present = [f"{slot}{'/' if n % 2 == 0 else chr(92)}\n" for n, slot in enumerate(self.slots)]
        self.weekday = [day.weekday() for day in self.days]
        self.episodes = {
            profile: (
                [code for code, *_ in kinds],
                list(accumulate(weight for _, weight, _, _ in kinds)),
                [(low, high) for *_, low, high in kinds],
            )
            for profile, kinds in _EPISODES.items()
        }
        self.serials: dict[int, dict[int, int]] = {}
        self.waiting: dict[int, list[str]] = {}  # a school's dual-registered pupils from earlier schools
        self.written = Written(schools=len(self.schools), first_day=self.days[0], last_day=self.days[-1])

    def lines(self, code: str) -> list[str]:
        """Each session's row ending for a code."""
        found = self._lines.get(code)
        if found is None:
            found = self._lines[code] = [f"{slot}{code}\n" for slot in self.slots]
        return found

    # A pupil's details ------------------------------------------------------------------------------------------

    def upn(self, school: SchoolSpec, year: int) -> str:
        serials = self.serials.setdefault(school.urn, {})
        while serials.get(year, FIRST_SERIAL) > 999:
            year += 1
        serial = serials.get(year, FIRST_SERIAL)
        serials[year] = serial + 1
        body = f"{school.la_code}{school.establishment_number}{year % 100:02d}{serial:03d}"
        return check_letter(body) + body

    def pupil(self, school: SchoolSpec, given: PupilSpec | None = None) -> tuple[str, str, str, str]:
        """UPN, surname, forename and date of birth (as the file writes them)."""
        rng = self.rng
        age = rng.randint(school.youngest, school.oldest)
        born = date(self.school_year - age - 1, 9, 1) + timedelta(days=rng.randrange(365))
        first = _FIRST[bisect(_FIRST_CUMULATIVE, rng.random() * _FIRST_CUMULATIVE[-1])]
        last = _LAST[bisect(_LAST_CUMULATIVE, rng.random() * _LAST_CUMULATIVE[-1])]
        if given is not None:
            born = given.date_of_birth or born
            first, last = given.first_name or first, given.last_name or last
            age = self.school_year - born.year - (1 if born.month >= 9 else 0)
        if given is not None and given.upn:
            upn = given.upn
        else:
            upn = self.upn(school, self.school_year - max(0, age - school.youngest))
        return upn, last, first, born.isoformat()

    def profile(self) -> str:
        draw = self.rng.random()
        if draw < SEVERE:
            return SEVERE_ABSENCE
        if draw < SEVERE + PERSISTENT:
            return PERSISTENT_ABSENCE
        if draw < SEVERE + PERSISTENT + STOPPED and len(self.days) >= LONG_RUN_DAYS:
            return STOPPED_COMING
        return ORDINARY

    # A pupil's marks --------------------------------------------------------------------------------------------

    def share_absent(self, profile: str) -> float:
        rng = self.rng
        if profile == SEVERE_ABSENCE:
            return rng.uniform(0.52, 0.9)
        if profile == PERSISTENT_ABSENCE:
            return rng.uniform(0.11, 0.4)
        return min(0.085, rng.expovariate(1 / 0.03))

    def mark(self, row: list[str], taken: bytearray, code: str, first: int, count: int) -> int:
        """Mark `count` sessions from `first` with the code, past those already marked; returns how many."""
        lines, marked = self.lines(code), 0
        for n in range(first, min(first + count, self.sessions)):
            if not taken[n]:
                row[n], taken[n] = lines[n], 1
                marked += 1
        return marked

    def absences(self, row: list[str], taken: bytearray, profile: str, possible: int) -> None:
        rng, sessions = self.rng, self.sessions
        target = int(self.share_absent(profile) * possible + rng.random())
        codes, cumulative, lengths = self.episodes[profile]
        absent, tries = 0, 0
        while absent < target and tries < 4 * target + 10:
            tries += 1
            kind = bisect(cumulative, rng.random() * cumulative[-1])
            code, (shortest, longest) = codes[kind], lengths[kind]
            if longest == 0:  # one session
                first, count = rng.randrange(sessions), 1
            else:
                days = rng.randint(shortest, longest)
                if code == "N" and rng.random() < 0.7:  # a reason not yet given: mostly the last days
                    first = 2 * rng.randrange(max(0, len(self.days) - 8), len(self.days))
                elif code == "C2":  # a part-time timetable: afternoons for some weeks
                    start = rng.randrange(len(self.days))
                    for day in range(start, min(start + days, len(self.days))):
                        absent += self.mark(row, taken, "C2", 2 * day + 1, 1)
                    continue
                else:
                    first = 2 * rng.randrange(len(self.days))
                count = 2 * days
            absent += self.mark(row, taken, code, first, min(count, target - absent + 1))

    def times(self, per_term: float) -> int:
        """How many times something that happens `per_term` times in a term of 65 days happens in these days."""
        return int(per_term * len(self.days) / TERM_DAYS + self.rng.random())

    def extras(self, row: list[str], taken: bytearray, profile: str) -> None:
        """Marks that are not absence, and holidays."""
        rng, days, times = self.rng, len(self.days), self.times
        late = rng.choice((0, 0, 0.5, 1, 2, 4)) if profile == ORDINARY else rng.uniform(2, 8)
        for _ in range(times(late)):
            self.mark(row, taken, "L", 2 * rng.randrange(days), 1)  # late, before the register closed
        for _ in range(times(0.05)):
            self.mark(row, taken, "U", 2 * rng.randrange(days), 1)  # late, after it closed
        for _ in range(times(0.04)):
            self.mark(row, taken, "V", 2 * rng.randrange(days), 2)  # a trip
        for _ in range(times(0.02)):
            self.mark(row, taken, "P", rng.randrange(self.sessions), 1)  # a match
        if profile != SEVERE_ABSENCE and days >= 5:
            for _ in range(times(HOLIDAY)):
                self.mark(row, taken, "G", 2 * rng.randrange(days - 2), 2 * rng.randint(3, min(10, days)))

    def stopped(self, row: list[str], taken: bytearray, still_missing: bool = False) -> bool:
        """A run of 10 or more school days of unexplained absence; whether it lasts to the last day."""
        rng = self.rng
        open_days = [day for day in range(len(self.days)) if row[2 * day][-2] != "#"]  # closures do not count
        if len(open_days) < LONG_RUN_DAYS:
            return False
        length = rng.randint(LONG_RUN_DAYS, min(len(open_days), 30))
        ongoing = rng.random() < STOPPED_ONGOING or length == len(open_days) or still_missing
        first = len(open_days) - length if ongoing else rng.randrange(0, len(open_days) - length)
        told = rng.randint(3, 6)  # days coded N before the school records O
        n_lines, o_lines = self.lines("N"), self.lines("O")
        for position, day in enumerate(open_days[first : first + length]):
            lines = n_lines if position < told else o_lines
            for n in (2 * day, 2 * day + 1):
                row[n], taken[n] = lines[n], 1
        return ongoing

    def dual(self, row: list[str], taken: bytearray) -> list[str]:
        """D on one or two weekdays at this school; the other school's rows are the other way round."""
        weekdays = set(self.rng.sample(range(5), self.rng.choice((1, 2))))
        d_lines, other = self.lines("D"), list(self.lines("D"))
        for day, weekday in enumerate(self.weekday):
            if weekday in weekdays:
                for n in (2 * day, 2 * day + 1):
                    if row[n][-2] != "#":
                        row[n], taken[n] = d_lines[n], 1
                        other[n] = self.present[n]
        return other

    # The file ---------------------------------------------------------------------------------------------------

    def closures(self) -> tuple[list[str], bytearray]:
        """A school's row of marks before its pupils': present, but # on its own closure days."""
        row, taken = list(self.present), bytearray(self.sessions)
        closed = self.lines("#")
        for _ in range(self.times(CLOSURES)):
            day = self.rng.randrange(len(self.days))
            for n in (2 * day, 2 * day + 1):
                row[n], taken[n] = closed[n], 1
        return row, taken

    def write(self, out: TextIO, pupils: int, extra: Sequence[PupilSpec]) -> Written:
        if not self.schools:
            raise GeneratorError("There are no schools to generate pupils for: load the schools register first")
        by_urn = {school.urn: n for n, school in enumerate(self.schools)}
        wanted: dict[int, list[PupilSpec]] = {}
        for spec in extra:
            if spec.urn not in by_urn:
                raise GeneratorError(f"No school with URN {spec.urn} is among the schools given")
            wanted.setdefault(by_urn[spec.urn], []).append(spec)
        counts = share_out(pupils, [s.weight * (s.oldest - s.youngest + 1) for s in self.schools])
        out.write(HEADER)
        written = self.written
        for index, school in enumerate(self.schools):
            base, closed = self.closures()
            possible = self.sessions - closed.count(1)
            urn = str(school.urn)
            for given in [*(None for _ in range(counts[index])), *wanted.get(index, ())]:
                upn, last, first, born = self.pupil(school, given)
                profile = given.profile if given is not None else self.profile()
                if profile in (STOPPED_COMING, STILL_MISSING) and len(self.days) < LONG_RUN_DAYS:
                    profile = SEVERE_ABSENCE
                row, taken = list(base), bytearray(closed)
                prefix = f"{urn},{upn},{last},{first},{born},"
                other = None
                if profile in (STOPPED_COMING, STILL_MISSING):
                    written.ongoing_runs += self.stopped(row, taken, profile == STILL_MISSING)
                elif index + 1 < len(self.schools) and self.rng.random() < DUAL:
                    other = self.dual(row, taken)
                self.extras(row, taken, profile)
                self.absences(row, taken, ORDINARY if profile in (STOPPED_COMING, STILL_MISSING) else profile, possible)
                out.write(prefix + prefix.join(row))
                written.rows += self.sessions
                written.pupils += 1
                written.profiles[profile] += 1
                if other is not None:
                    partner = self.rng.randrange(index + 1, len(self.schools))
                    at = f"{self.schools[partner].urn},{upn},{last},{first},{born},"
                    self.waiting.setdefault(partner, []).append(at + at.join(other))
                    written.dual_registered += 1
            for rows in self.waiting.pop(index, ()):
                out.write(rows)
                written.rows += self.sessions
        return written


def write_attendance(
    out: TextIO,
    *,
    schools: Sequence[SchoolSpec],
    days: Sequence[date],
    pupils: int,
    seed: int = SEED,
    extra: Iterable[PupilSpec] = (),
) -> Written:
    """Write an attendance CSV to `out` (text, opened with newline=""): `pupils` generated pupils spread over the
    schools by size, and the `extra` pupils asked for, over the school days given."""
    if pupils < 0:
        raise GeneratorError("The number of pupils must be 0 or more")
    if not days:
        raise GeneratorError("There must be at least one school day")
    extra = list(extra)
    unknown = sorted({spec.profile for spec in extra} - set(PROFILES))
    if unknown:
        raise GeneratorError(f"Unknown pattern {unknown[0]}: use one of {', '.join(PROFILES)}")
    return _Generator(schools, days, seed).write(out, pupils, extra)
