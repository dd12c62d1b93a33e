"""Attendance measures read from the stored weeks: per pupil, per school and for the authority over any dates (part
weeks at either edge counted from their marks), the lists under 90% and 50%, the weekly trend read from the
rollups, and a placed child's attendance since placement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shared.domain.attendance import count, encode
from shared.models import AttendancePupil, AttendanceSchoolWeek, AttendanceWeek, Child, School
from shared.queries import attendance as queries
from tests.conftest import calendar_of

MON = date(2026, 11, 2)  # the first Monday of the second half of the autumn term 2026
PRESENT = ["/", "\\"] * 5
ILL = ["I", "I"]
N = ["N", "N"]


def week(*days: list[str]) -> list[str]:
    """A week's ten codes from up to five days of two codes each; missing days have no marks."""
    codes = [code for day in days for code in day]
    return codes + [""] * (10 - len(codes))


def a_pupil(db, school, upn: str, first: str, last: str, **extra) -> AttendancePupil:
    pupil = AttendancePupil(
        upn=upn, first_name=first, last_name=last, date_of_birth=date(2015, 4, 3), school_id=school.id, **extra
    )
    db.add(pupil)
    db.flush()
    return pupil


def store(db, pupil, school, monday: date, codes: list[str]) -> None:
    marks = encode(codes)
    counts = count(marks)
    db.add(
        AttendanceWeek(
            pupil_id=pupil.id,
            school_id=school.id,
            week_start=monday,
            marks=marks,
            possible=counts.possible,
            present=counts.present,
            authorised=counts.authorised,
            unauthorised=counts.unauthorised,
            unexplained=counts.unexplained,
        )
    )


@pytest.fixture
def pupils(db, school):
    """Three pupils at Millfield over two weeks, one at Riverside:
    - Ada: present every session, both weeks (20 of 20);
    - Ben: ill all of Monday and Tuesday of week 1, otherwise present (16 of 20: 80%, persistent);
    - Cal: unexplained absence all of week 2 (10 of 20: 50%, persistent and severe);
    - Dee at Riverside: present week 1 only (10 of 10)."""
    riverside = db.scalar(select(School).where(School.urn == 990102))
    ada = a_pupil(db, school, "B801200005001", "Ada", "Archer")
    ben = a_pupil(db, school, "A801200005002", "Ben", "Baker")
    cal = a_pupil(db, school, "Z801200005003", "Cal", "Carter")
    dee = a_pupil(db, riverside, "Y801200005004", "Dee", "Dawson")
    second = MON + timedelta(days=7)
    store(db, ada, school, MON, PRESENT)
    store(db, ada, school, second, PRESENT)
    store(db, ben, school, MON, week(ILL, ILL, ["/", "\\"], ["/", "\\"], ["/", "\\"]))
    store(db, ben, school, second, PRESENT)
    store(db, cal, school, MON, PRESENT)
    store(db, cal, school, second, week(N, N, N, N, ["O", "O"]))
    store(db, dee, riverside, MON, PRESENT)
    db.commit()
    return {"ada": ada, "ben": ben, "cal": cal, "dee": dee, "riverside": riverside}


def test_span_splits_whole_weeks_from_part_weeks():
    # Wednesday 4 November to Tuesday 17 November: one whole week (9th), part weeks of the 2nd and the 16th.
    dates = queries.span(date(2026, 11, 4), date(2026, 11, 17))
    assert (dates.full_from, dates.full_to, dates.edges) == (
        date(2026, 11, 9),
        date(2026, 11, 9),
        (MON, date(2026, 11, 16)),
    )
    # Monday to Friday is one whole week and no edges.
    dates = queries.span(MON, date(2026, 11, 6))
    assert (dates.full_from, dates.full_to, dates.edges) == (MON, MON, ())


def test_a_pupils_measures_over_whole_and_part_weeks(db, pupils):
    ben = pupils["ben"].id
    whole = queries.pupil_measures(db, ben, MON, MON + timedelta(days=11))
    assert (whole.possible, whole.present, whole.authorised, whole.unauthorised) == (20, 16, 4, 0)
    assert whole.attendance_rate == 0.8 and whole.persistent and not whole.severe
    # From Tuesday of week 1 to Monday of week 2: Tuesday ill (2), Wednesday to Friday present (6), Monday present (2).
    part = queries.pupil_measures(db, ben, MON + timedelta(days=1), MON + timedelta(days=7))
    assert (part.possible, part.present, part.authorised) == (10, 8, 2)


def test_a_schools_measures_count_its_own_pupils_only(db, school, pupils):
    end = MON + timedelta(days=11)
    measures = queries.school_measures(db, school.id, MON, end)
    assert (measures.counts.possible, measures.counts.present) == (60, 46)
    assert (measures.counts.authorised, measures.counts.unauthorised, measures.counts.unexplained) == (4, 10, 10)
    assert (measures.pupils, measures.persistent, measures.severe) == (3, 2, 1)
    authority = queries.authority_measures(db, MON, end)
    assert (authority.counts.possible, authority.counts.present, authority.pupils) == (70, 56, 4)
    riverside = queries.school_measures(db, pupils["riverside"].id, MON, end)
    assert (riverside.pupils, riverside.counts.attendance_rate) == (1, 1.0)


def test_persistent_absence_is_counted_by_the_database_for_whole_weeks_and_exactly_for_part_weeks(db, school, pupils):
    whole = queries.persistent_absence(db, MON, MON + timedelta(days=11))
    assert (whole.pupils, whole.persistent, whole.severe, whole.counts.possible) == (4, 2, 1, 70)
    at_millfield = queries.persistent_absence(db, MON, MON + timedelta(days=11), school.id)
    assert (at_millfield.pupils, at_millfield.persistent, at_millfield.severe) == (3, 2, 1)
    # Week 1 from Wednesday: Ben was ill only on Monday and Tuesday, so nobody is persistently absent.
    part = queries.persistent_absence(db, MON + timedelta(days=2), MON + timedelta(days=4))
    assert (part.pupils, part.persistent, part.severe, part.counts.possible) == (4, 0, 0, 24)


def test_the_lists_of_pupils_under_90_and_under_50_percent(db, school, pupils):
    rows = queries.school_pupils(db, school.id, MON, MON + timedelta(days=11))
    assert [(row.pupil.first_name, row.counts.present, row.counts.possible) for row in rows] == [
        ("Cal", 10, 20),
        ("Ben", 16, 20),
        ("Ada", 20, 20),
    ]
    assert [row.pupil.first_name for row in queries.pupils_below(rows, 0.9)] == ["Cal", "Ben"]
    # Exactly 50% is not under 50%.
    assert [row.pupil.first_name for row in queries.pupils_below(rows, 0.5)] == []


def test_schools_measured_in_one_pass_lowest_attendance_first(db, school, pupils):
    rows = queries.schools_measured(db, MON, MON + timedelta(days=11))
    assert [(row.school.urn, row.measures.pupils, row.measures.counts.present) for row in rows] == [
        (990101, 3, 46),
        (990102, 1, 10),
    ]


def test_the_weekly_trend_is_read_from_the_rollups(db, school, pupils):
    riverside = pupils["riverside"]
    for school_id, pupils_count, possible, present, term_persistent in (
        (school.id, 3, 30, 26, 1),
        (riverside.id, 1, 10, 10, 0),
    ):
        db.add(
            AttendanceSchoolWeek(
                school_id=school_id,
                week_start=MON,
                pupils=pupils_count,
                possible=possible,
                present=present,
                authorised=possible - present,
                unauthorised=0,
                unexplained=0,
                term_pupils=pupils_count,
                term_persistent=term_persistent,
                term_severe=0,
            )
        )
    db.commit()
    trend = queries.weekly_trend(db, MON, MON + timedelta(days=4))
    assert [(p.week_start, p.pupils, p.counts.possible, p.counts.present, p.term_persistent) for p in trend] == [
        (MON, 4, 40, 36, 1)
    ]
    assert trend[0].counts.attendance_rate == 0.9 and trend[0].persistent_rate == 0.25
    only = queries.weekly_trend(db, MON, MON + timedelta(days=4), [riverside.id])
    assert [(p.pupils, p.counts.present) for p in only] == [(1, 10)]


def test_terms_with_marks(db, app, pupils):
    calendar = calendar_of(app)
    assert [term.key for term in queries.terms_with_marks(db, calendar)] == ["2026-autumn"]


def test_attendance_since_placement(db, school, pupils):
    child = Child(first_name="Cal", last_name="Carter", date_of_birth=date(2015, 4, 3), sex="male")
    db.add(child)
    db.flush()
    pupils["cal"].child_id = child.id
    db.commit()
    # Placed on Thursday of week 1: Thursday and Friday present (4), week 2 all unexplained (10).
    since = queries.attendance_since(db, child.id, MON + timedelta(days=3))
    assert (since.counts.possible, since.counts.present, since.counts.unexplained) == (14, 4, 10)
    assert [(monday, counts.possible, counts.present) for monday, counts in since.weeks] == [
        (MON, 4, 4),
        (MON + timedelta(days=7), 10, 0),
    ]
    assert since.until == MON + timedelta(days=11)
    assert queries.attendance_since(db, child.id, MON + timedelta(days=21)) is None
    # At another school than the one whose marks there are: none.
    assert queries.attendance_since(db, child.id, MON, pupils["riverside"].id) is None
    assert queries.attendance_since(db, child.id, MON, school.id).counts.possible == 20


def test_a_terms_measures_are_read_from_the_rollups_at_each_schools_latest_week(db, app, school, pupils):
    calendar = calendar_of(app)
    autumn = next(term for term in queries.terms_with_marks(db, calendar) if term.key == "2026-autumn")
    riverside = pupils["riverside"]
    second = MON + timedelta(days=7)
    # Millfield has two weeks, Riverside only the first: each school's term so far is read at its own latest week.
    for school_id, monday, possible, present, term_pupils, term_persistent, term_severe in (
        (school.id, MON, 30, 26, 3, 1, 0),
        (school.id, second, 30, 20, 3, 2, 1),
        (riverside.id, MON, 10, 10, 1, 0, 0),
    ):
        db.add(
            AttendanceSchoolWeek(
                school_id=school_id,
                week_start=monday,
                pupils=term_pupils,
                possible=possible,
                present=present,
                authorised=4 if possible - present == 4 else 0,
                unauthorised=possible - present - (4 if possible - present == 4 else 0),
                unexplained=0,
                term_pupils=term_pupils,
                term_persistent=term_persistent,
                term_severe=term_severe,
            )
        )
    db.commit()
    measures = queries.term_measures(db, autumn, date(2026, 12, 18))
    assert (measures.counts.possible, measures.counts.present, measures.counts.authorised) == (70, 56, 4)
    assert (measures.pupils, measures.persistent, measures.severe) == (4, 2, 1)
    # As of the first week's Friday, Millfield's first week is its latest.
    early = queries.term_measures(db, autumn, MON + timedelta(days=4))
    assert (early.counts.possible, early.pupils, early.persistent, early.severe) == (40, 4, 1, 0)
    only = queries.term_measures(db, autumn, date(2026, 12, 18), [riverside.id])
    assert (only.counts.possible, only.pupils, only.persistent) == (10, 1, 0)
