"""The schools' weekly rollups (`attendance_school_weeks`) an attendance import keeps, so the attendance pages
read a term's figures from a few hundred rows rather than recompute them from every pupil's marks."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Date, bindparam, delete, text
from sqlalchemy.orm import Session

from shared.domain.attendance import week_start
from shared.domain.school_days import SchoolCalendar
from shared.domain.terms import authority_terms
from shared.models import AttendanceSchoolWeek
from shared.services.attendance_bulk import LOOKUP_BATCH, chunks

# Schools' weeks in a term: each week's sessions summed over the school's pupils, and how many pupils, over the
# term up to that week, had a possible session and missed 10% (50%) or more of their possible sessions. Each
# pupil-week carries the pupil's running sums for the term; the pupil's state (counted, persistent, severe) holds
# from that week until their next week with marks, so it is added at the one and taken away at the other, and a
# running sum of those changes over the weeks gives each week's totals without joining weeks to pupils.
_ROLLUP = text(
    """
    WITH marked AS (
        SELECT school_id, week_start, possible, present, authorised, unauthorised, unexplained,
               SUM(possible) OVER pupil_term AS term_possible,
               SUM(authorised + unauthorised) OVER pupil_term AS term_absent,
               LEAD(week_start) OVER pupil_term AS next_week
        FROM attendance_weeks
        WHERE school_id IN :school_ids AND week_start BETWEEN :first_week AND :last_week
        WINDOW pupil_term AS (PARTITION BY school_id, pupil_id ORDER BY week_start)
    ),
    states AS (
        SELECT school_id, week_start, next_week,
               CASE WHEN term_possible > 0 THEN 1 ELSE 0 END AS counted,
               CASE WHEN term_possible > 0 AND term_absent * 10 >= term_possible THEN 1 ELSE 0 END AS persistent,
               CASE WHEN term_possible > 0 AND term_absent * 2 >= term_possible THEN 1 ELSE 0 END AS severe
        FROM marked
    ),
    changes AS (
        SELECT school_id, week_start, counted, persistent, severe FROM states
        UNION ALL
        SELECT school_id, next_week, -counted, -persistent, -severe FROM states WHERE next_week IS NOT NULL
    ),
    per_week AS (
        SELECT school_id, week_start, SUM(counted) AS counted, SUM(persistent) AS persistent, SUM(severe) AS severe
        FROM changes
        GROUP BY school_id, week_start
    ),
    so_far AS (
        SELECT school_id, week_start,
               SUM(counted) OVER school_term AS pupils,
               SUM(persistent) OVER school_term AS persistent,
               SUM(severe) OVER school_term AS severe
        FROM per_week
        WINDOW school_term AS (PARTITION BY school_id ORDER BY week_start)
    ),
    weekly AS (
        SELECT school_id, week_start,
               SUM(CASE WHEN possible > 0 THEN 1 ELSE 0 END) AS pupils,
               SUM(possible) AS possible, SUM(present) AS present, SUM(authorised) AS authorised,
               SUM(unauthorised) AS unauthorised, SUM(unexplained) AS unexplained
        FROM marked
        GROUP BY school_id, week_start
    )
    INSERT INTO attendance_school_weeks (
        school_id, week_start, pupils, possible, present, authorised, unauthorised, unexplained,
        term_pupils, term_persistent, term_severe
    )
    SELECT weekly.school_id, weekly.week_start, weekly.pupils, weekly.possible, weekly.present, weekly.authorised,
           weekly.unauthorised, weekly.unexplained, so_far.pupils, so_far.persistent, so_far.severe
    FROM weekly
    JOIN so_far ON so_far.school_id = weekly.school_id AND so_far.week_start = weekly.week_start
    """
).bindparams(
    bindparam("school_ids", expanding=True),
    bindparam("first_week", type_=Date()),
    bindparam("last_week", type_=Date()),
)


def recompute_rollups(
    session: Session, spans: dict[int, tuple[date, date]], calendar: SchoolCalendar, progress
) -> None:
    """Recompute the weeks of each school in the file for every term its dates in the file touch."""
    by_term: dict = defaultdict(list)
    for term in authority_terms(calendar):
        for school_id, (first, last) in spans.items():
            if term.start <= last and term.end >= first:
                by_term[term].append(school_id)
    for done, (term, school_ids) in enumerate(by_term.items(), start=1):
        first_week, last_week = week_start(term.start), week_start(term.end)
        for chunk in chunks(sorted(school_ids), LOOKUP_BATCH):
            session.execute(
                delete(AttendanceSchoolWeek).where(
                    AttendanceSchoolWeek.school_id.in_(chunk),
                    AttendanceSchoolWeek.week_start.between(first_week, last_week),
                )
            )
            session.execute(_ROLLUP, {"school_ids": chunk, "first_week": first_week, "last_week": last_week})
        progress(done / len(by_term))
