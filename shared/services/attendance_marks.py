"""What an attendance import writes of the file itself: its pupils (added, their details updated, each linked
to a child the CME team knows) and their marks, which replace each school's marks on the file's dates.

Importing replaces, never doubles: for each school in the file, every mark the school already has in the sessions
the file covers for it (its first to its last session, so a file exported at midday replaces only that half day)
is replaced by the file's, for every pupil (a pupil the new file does not name loses those sessions at that
school); marks in other sessions are kept."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import Date, MetaData, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from shared.domain.attendance import NO_MARK, SESSIONS_PER_WEEK, count, merge, outside, week_start
from shared.domain.problems import required
from shared.importers.attendance_checked import CheckedFile
from shared.models import AttendancePupil, AttendanceWeek, Child
from shared.models.base import table_of
from shared.services.attendance_bulk import LOOKUP_BATCH, WRITE_BATCH, Writer, among, chunks

PROGRESS_ROWS = 50_000
_BLANK = NO_MARK * SESSIONS_PER_WEEK


# Pupils -------------------------------------------------------------------------------------------------------------


def _latest_schools(checked: CheckedFile) -> dict[str, int]:
    """Each pupil's school: the school of their latest marks in the file."""
    latest: dict[str, tuple[date, int, int]] = {}
    marks = checked.marks
    for (school_id, upn, monday), offset in checked.weeks.items():
        held = latest.get(upn)
        if held is not None and held[0] > monday:
            continue
        last = len(marks[offset : offset + SESSIONS_PER_WEEK].rstrip(b"."))
        if held is None or held[0] < monday or held[1] < last:
            latest[upn] = (monday, last, school_id)
    return {upn: school_id for upn, (_monday, _last, school_id) in latest.items()}


def write_pupils(session: Session, writer: Writer, checked: CheckedFile, now) -> dict[str, int]:
    """Add the pupils the file names for the first time, update the others' names, date of birth and school, and
    link each pupil not yet linked to a child the CME team knows. Each UPN's pupil id."""
    pupils = AttendancePupil
    schools = _latest_schools(checked)
    upns = list(checked.pupils)
    held: dict[str, Any] = {}
    for chunk in chunks(upns, LOOKUP_BATCH):
        rows = session.execute(
            select(
                pupils.id,
                pupils.upn,
                pupils.first_name,
                pupils.last_name,
                pupils.date_of_birth,
                pupils.school_id,
                pupils.child_id,
            ).where(among(session, pupils.upn, chunk))
        )
        held.update((row.upn, row) for row in rows)
    links = _children_for(session, checked.pupils, [upn for upn in upns if upn not in held or not held[upn].child_id])

    new = [upn for upn in upns if upn not in held]
    day = writer.day
    table = table_of(pupils)
    stamp = writer.value(table.c.updated_at, now)
    writer.insert(
        table,
        (
            "upn",
            "first_name",
            "last_name",
            "date_of_birth",
            "school_id",
            "child_id",
            "current_run_sessions",
            "longest_run_sessions",
            "updated_at",
        ),
        (
            (upn, forename, surname, day(born), schools[upn], links.get(upn), 0, 0, stamp)
            for upn in new
            for surname, forename, born in (checked.pupils[upn],)
        ),
    )
    ids = {upn: row.id for upn, row in held.items()}
    for chunk in chunks(new, LOOKUP_BATCH):
        ids.update(session.execute(select(pupils.upn, pupils.id).where(among(session, pupils.upn, chunk))).all())

    changes = []
    for upn, row in held.items():
        surname, forename, born = checked.pupils[upn]
        values = (forename, surname, born, schools[upn], row.child_id or links.get(upn))
        if values != (row.first_name, row.last_name, row.date_of_birth, row.school_id, row.child_id):
            changes.append(
                dict(zip(("first_name", "last_name", "date_of_birth", "school_id", "child_id"), values, strict=True))
                | {"id": row.id, "updated_at": now}
            )
    for chunk in chunks(changes, WRITE_BATCH):
        session.execute(update(AttendancePupil), chunk)
    return ids


def _children_for(session: Session, details: dict[str, tuple[str, str, date]], upns: list[str]) -> dict[str, int]:
    """The child each pupil is, for the UPNs given: the one child with the same UPN, or else the one child with
    exactly the same first name, last name (in any case) and date of birth and no UPN recorded (a child whose
    recorded UPN is another is another child, whatever their name)."""
    with_upn: dict[str, set[int]] = defaultdict(set)
    for chunk in chunks(upns, LOOKUP_BATCH):
        for child_id, upn in session.execute(select(Child.id, Child.upn).where(among(session, Child.upn, chunk))):
            with_upn[required(upn)].add(child_id)  # the WHERE leaves out children without one
    links = {upn: next(iter(ids)) for upn, ids in with_upn.items() if len(ids) == 1}

    rest = [upn for upn in upns if upn not in links]
    named: dict[tuple[str, str, date], set[int]] = defaultdict(set)
    for chunk in chunks(sorted({details[upn][2] for upn in rest}), LOOKUP_BATCH):
        rows = session.execute(
            select(Child.id, Child.first_name, Child.last_name, Child.date_of_birth).where(
                among(session, Child.date_of_birth, chunk),
                Child.first_name.is_not(None),
                Child.last_name.is_not(None),
                Child.upn.is_(None),
            )
        )
        for child_id, first_name, last_name, born in rows:  # the WHERE leaves out children without these
            key = (required(first_name).strip().casefold(), required(last_name).strip().casefold(), required(born))
            named[key].add(child_id)
    for upn in rest:
        surname, forename, born = details[upn]
        ids = named.get((forename.casefold(), surname.casefold(), born))
        if ids is not None and len(ids) == 1:
            links[upn] = next(iter(ids))
    return links


# Marks --------------------------------------------------------------------------------------------------------------

WEEK_COLUMNS = (
    "pupil_id",
    "week_start",
    "school_id",
    "marks",
    "possible",
    "present",
    "authorised",
    "unauthorised",
    "unexplained",
)


def replace_marks(
    session: Session,
    writer: Writer,
    checked: CheckedFile,
    pupil_ids: dict[str, int],
    progress: Callable[[float], None],
) -> tuple[int, int, set[int]]:
    """Replace each school's marks on the file's dates with the file's. The pupil-weeks written, the marks
    replaced, and the pupils who had marks replaced."""
    weeks = AttendanceWeek
    kept: dict[tuple[int, int, date], str] = {}  # what a file's first and last weeks leave of the marks held
    replaced = 0
    touched: set[int] = set()
    for school_id, (first, last) in checked.spans.items():
        first_week, last_week = week_start(first), week_start(last)
        first_session, last_session = checked.edge_sessions[school_id]
        in_span = (weeks.school_id == school_id, weeks.week_start.between(first_week, last_week))
        touched.update(session.scalars(select(weeks.pupil_id).where(*in_span).distinct()))
        # A first or last week may be only partly inside the dates: the marks outside them are kept.
        edges = session.execute(
            select(weeks.pupil_id, weeks.week_start, weeks.marks).where(
                weeks.school_id == school_id, weeks.week_start.in_({first_week, last_week})
            )
        )
        for pupil_id, monday, marks in edges:
            keep = outside(
                marks,
                first_session if monday == first_week else 0,
                last_session if monday == last_week else SESSIONS_PER_WEEK - 1,
            )
            replaced += keep.count(NO_MARK) - marks.count(NO_MARK)
            if keep != _BLANK:
                kept[(school_id, pupil_id, monday)] = keep
        # Weeks wholly inside the dates: every mark in them goes.
        inside = select(func.sum(func.length(func.replace(weeks.marks, NO_MARK, "")))).where(
            weeks.school_id == school_id, weeks.week_start > first_week, weeks.week_start < last_week
        )
        replaced += int(session.scalar(inside) or 0)

    counted: dict[str, tuple[int, ...]] = {}
    day = writer.day
    days: dict[date, Any] = {}

    def rows() -> Iterator[tuple]:
        for done, (school_id, upn, monday, marks) in enumerate(checked.week_marks(), start=1):
            pupil_id = pupil_ids[upn]
            if kept:
                old = kept.pop((school_id, pupil_id, monday), None)
                if old is not None:
                    marks = merge(old, marks)
            yield week_row(pupil_id, monday, school_id, marks, counted, days, day)
            if done % PROGRESS_ROWS == 0:
                progress(done / len(checked.weeks))
        for (school_id, pupil_id, monday), marks in kept.items():
            yield week_row(pupil_id, monday, school_id, marks, counted, days, day)

    if not touched:  # nothing held on the file's dates: every week is new
        written = writer.insert(table_of(weeks), WEEK_COLUMNS, rows())
        progress(1)
        return written, replaced, touched
    # The file's weeks go into a table of their own first; then, in three statements, the weeks it no longer has
    # are deleted, those it changes are updated and those it adds are inserted. A file sent again changes nothing,
    # and writing only what changed is far quicker than deleting and inserting every week.
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    connection.exec_driver_sql("DROP TABLE IF EXISTS attendance_incoming")
    connection.exec_driver_sql(_INCOMING_POSTGRESQL if postgresql else _INCOMING_SQLITE)
    written = writer.insert(_INCOMING, WEEK_COLUMNS, rows())
    connection.exec_driver_sql(_INCOMING_KEY)
    for school_id, (first, last) in checked.spans.items():
        span = {"school_id": school_id, "first_week": week_start(first), "last_week": week_start(last)}
        session.execute(_DELETE_GONE, span)
    session.execute(text(_UPDATE_CHANGED))
    session.execute(text(_INSERT_NEW))
    connection.exec_driver_sql("DROP TABLE attendance_incoming")
    progress(1)
    return written, replaced, touched


_INCOMING = table_of(AttendanceWeek).to_metadata(MetaData(), name="attendance_incoming")
_INCOMING_POSTGRESQL = "CREATE TEMPORARY TABLE attendance_incoming (LIKE attendance_weeks) ON COMMIT DROP"
_INCOMING_SQLITE = "CREATE TEMPORARY TABLE attendance_incoming AS SELECT * FROM attendance_weeks WHERE 0"
_INCOMING_KEY = "CREATE UNIQUE INDEX attendance_incoming_key ON attendance_incoming (pupil_id, week_start, school_id)"
_DELETE_GONE = text(
    """
    DELETE FROM attendance_weeks
    WHERE school_id = :school_id AND week_start BETWEEN :first_week AND :last_week
      AND NOT EXISTS (
        SELECT 1 FROM attendance_incoming AS incoming
        WHERE incoming.pupil_id = attendance_weeks.pupil_id AND incoming.week_start = attendance_weeks.week_start
          AND incoming.school_id = attendance_weeks.school_id
      )
    """
).bindparams(bindparam("first_week", type_=Date()), bindparam("last_week", type_=Date()))
_UPDATE_CHANGED = """
    UPDATE attendance_weeks
    SET marks = incoming.marks, possible = incoming.possible, present = incoming.present,
        authorised = incoming.authorised, unauthorised = incoming.unauthorised, unexplained = incoming.unexplained
    FROM attendance_incoming AS incoming
    WHERE incoming.pupil_id = attendance_weeks.pupil_id AND incoming.week_start = attendance_weeks.week_start
      AND incoming.school_id = attendance_weeks.school_id AND incoming.marks <> attendance_weeks.marks
"""
_INSERT_NEW = """
    INSERT INTO attendance_weeks
        (pupil_id, week_start, school_id, marks, possible, present, authorised, unauthorised, unexplained)
    SELECT pupil_id, week_start, school_id, marks, possible, present, authorised, unauthorised, unexplained
    FROM attendance_incoming AS incoming
    WHERE NOT EXISTS (
        SELECT 1 FROM attendance_weeks AS held
        WHERE held.pupil_id = incoming.pupil_id AND held.week_start = incoming.week_start
          AND held.school_id = incoming.school_id
    )
"""


def week_row(pupil_id, monday, school_id, marks, counted, days, day) -> tuple:
    counts = counted.get(marks)
    if counts is None:
        found = count(marks)
        counts = counted[marks] = (
            found.possible,
            found.present,
            found.authorised,
            found.unauthorised,
            found.unexplained,
        )
    when = days.get(monday)
    if when is None:
        when = days[monday] = day(monday)
    return (pupil_id, when, school_id, marks, *counts)
