"""Importing a file of attendance marks: check it, then write it in one transaction.

How a page or a command uses it:

    checked = check_file(session, data, calendar=calendar, allowed_school_ids=..., progress=...)
    # FileRejected: the file cannot be imported at all (str(error) says why)
    # checked.problems: the first 1,000 problems (each with line, field, message); checked.problem_count: all
    summary = import_marks(session, checked, actor=user, skip_bad_lines=..., today=..., calendar=calendar)
    # LinesHaveProblems: lines have problems and skip_bad_lines is false (nothing written)
    # ImportSummary: what was written

Importing replaces, never doubles: for each school in the file, every mark the school already has in the sessions
the file covers for it (its first to its last session, so a file exported at midday replaces only that half day)
is replaced by the file's, for every pupil (a pupil the new file does not name loses those sessions at that
school); marks in other sessions are kept. The school's weekly rollups are
recomputed for every week of each term the file touches, each touched pupil's runs of unexplained absence from all
their marks, and a pupil whose current run has reached `ALERT_SESSIONS` gets one alert for that run.

Marks are written with bulk statements (COPY on PostgreSQL, executemany on SQLite), a pupil-week a row, so a
medium authority's term (6.5 million marks) is written in seconds, and held at most a batch at a time besides the
checked file.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from operator import itemgetter
from typing import Any, BinaryIO

from sqlalchemy import (
    Date,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from shared.clock import uk_today, utcnow
from shared.domain.attendance import (
    ALERT_SESSIONS,
    NO_MARK,
    SESSIONS_PER_WEEK,
    UNEXPLAINED,
    Runs,
    combine,
    count,
    last_marked,
    merge,
    outside,
    runs,
    week_start,
)
from shared.domain.reference import new_reference
from shared.domain.school_days import SchoolCalendar
from shared.domain.terms import authority_terms
from shared.domain.vocab import ReferralStatus
from shared.importers.attendance_csv import CheckedFile, FileRejected, Problem, SchoolLookup, read_attendance
from shared.models import (
    AttendanceAlert,
    AttendanceImport,
    AttendancePupil,
    AttendanceSchoolWeek,
    AttendanceWeek,
    Child,
    School,
    User,
)
from shared.services import audit

__all__ = [
    "CheckedFile",
    "FileRejected",
    "ImportRefused",
    "ImportSummary",
    "LinesHaveProblems",
    "NothingToImport",
    "Problem",
    "check_file",
    "describe",
    "import_marks",
    "load_schools",
    "summary_dict",
]

LOOKUP_BATCH = 5000  # values in one IN (...): well under the limits on bound parameters (SQLite 32,766)
WRITE_BATCH = 10_000  # rows in one executemany on SQLite
PROGRESS_ROWS = 50_000
_BLANK = NO_MARK * SESSIONS_PER_WEEK
# Imports are taken one at a time on PostgreSQL (SQLite has one writer anyway): two at once would both replace
# the same pupils' weeks and add the same pupils.
_IMPORT_LOCK = 6_060_601


class ImportRefused(Exception):
    """The checked file cannot be imported as asked: nothing was written."""


class LinesHaveProblems(ImportRefused):
    """Lines have problems and skipping them was not asked for."""

    def __init__(self, checked: CheckedFile):
        self.problems: list[Problem] = checked.problems  # the first 1,000
        self.count = checked.problem_count
        self.lines = checked.bad_lines
        lines = f"{self.lines:,} {'line has' if self.lines == 1 else 'lines have'}"
        super().__init__(f"{lines} problems: fix them, or import the file without them")


class NothingToImport(ImportRefused):
    """Every line of the file has a problem."""

    def __init__(self) -> None:
        super().__init__("No line of the file can be imported: every line has a problem")


@dataclass(frozen=True)
class ImportSummary:
    schools: int
    pupils: int
    marks: int
    weeks: int  # pupil-weeks written (a pupil's marks at one school for one week)
    first_date: date
    last_date: date
    marks_replaced: int  # marks already held on the file's dates that the file's replaced (or removed)
    alerts: int  # alerts raised for runs of unexplained absence
    lines_skipped: int


def summary_dict(summary: ImportSummary) -> dict[str, Any]:
    """The summary as JSON can keep it (dates as YYYY-MM-DD)."""
    values = asdict(summary)
    values["first_date"], values["last_date"] = summary.first_date.isoformat(), summary.last_date.isoformat()
    return values


def describe(checked: CheckedFile) -> dict[str, Any]:
    """What a checked file holds, as JSON can keep it: for the page that asks whether to import it."""
    first, last = checked.first_date, checked.last_date
    return {
        "schools": len(checked.spans),
        "pupils": len(checked.pupils),
        "marks": checked.mark_count,
        "first_date": first.isoformat() if first else None,
        "last_date": last.isoformat() if last else None,
        "lines": checked.lines,
        "problem_count": checked.problem_count,
        "bad_lines": checked.bad_lines,
    }


# Checking ---------------------------------------------------------------------------------------------------------


def load_schools(session: Session) -> SchoolLookup:
    """The schools register by URN and by LAESTAB, for the reader."""
    by_urn: dict[int, int] = {}
    by_laestab: dict[str, int] = {}
    names: dict[int, str] = {}
    rows = session.execute(select(School.id, School.urn, School.la_code, School.establishment_number, School.name))
    for school_id, urn, la_code, establishment_number, name in rows:
        by_urn[urn] = school_id
        if establishment_number:
            by_laestab[f"{la_code}{establishment_number}"] = school_id
        names[school_id] = f"{name} (URN {urn})"
    return SchoolLookup(by_urn, by_laestab, names)


def check_file(
    session: Session,
    data: bytes | BinaryIO,
    *,
    calendar: SchoolCalendar,
    allowed_school_ids: Iterable[int] | None = None,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> CheckedFile:
    """Read and check a file of attendance marks (its bytes, or a binary file open for reading) against the schools
    register and the authority's term dates. Only reads the database.

    `allowed_school_ids`: the schools the uploader may import (None: any). `progress(lines_done)` is called every
    50,000 lines; `checked.lines` is the total once read. Raises `FileRejected` when the file cannot be imported
    at all; problems with lines are in `checked.problems` (the first 1,000; `checked.problem_count` counts all,
    `checked.bad_lines` the lines they are on), each with `line`, `field` and `message` (`str(problem)` is
    "Line 14: Code 'ZZ' is not an attendance code")."""
    allowed = None if allowed_school_ids is None else frozenset(allowed_school_ids)
    return read_attendance(
        data,
        schools=load_schools(session),
        calendar=calendar,
        today=today or uk_today(),
        allowed_school_ids=allowed,
        progress=progress,
    )


# Importing --------------------------------------------------------------------------------------------------------


def import_marks(
    session: Session,
    checked: CheckedFile,
    *,
    actor: User | None,
    actor_label: str | None = None,
    import_record: AttendanceImport | None = None,
    skip_bad_lines: bool,
    today: date,
    calendar: SchoolCalendar,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> ImportSummary:
    """Write a checked file's marks in one transaction, committed at the end; on any error it is rolled back and
    nothing is written. Raises `LinesHaveProblems` if lines have problems and `skip_bad_lines` is false, and
    `NothingToImport` if no line is without one.

    `import_record`, an `AttendanceImport` in this session, is marked imported in the same transaction (status,
    summary, finished_at; its file's bytes emptied) and its id kept on the alerts and the audit event.
    `progress(done)` is called as the work goes on, `done` rising to `checked.lines` (the same scale as the check's
    progress). It is called inside the import's transaction: on SQLite nothing else can write to the database
    until the import commits. `today` is the day of the import (the audit event records it). `before_commit()` is
    called last, inside the transaction: an exception from it rolls everything back (the background worker's check
    that the file is still its own)."""
    if checked.problem_count and not skip_bad_lines:
        raise LinesHaveProblems(checked)
    if not checked.weeks:
        raise NothingToImport()
    steps = _Steps(progress, checked.lines)
    try:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})
        writer = _Writer(session)
        now = utcnow()
        pupil_ids = _write_pupils(session, writer, checked, now)
        steps.reached(0.05)
        weeks, replaced, touched = _replace_marks(session, writer, checked, pupil_ids, steps.part(0.05, 0.6))
        _recompute_rollups(session, checked.spans, calendar, steps.part(0.6, 0.7))
        touched = sorted(touched | set(pupil_ids.values()))
        candidates = _recompute_runs(session, writer, touched, now, steps.part(0.7, 0.97))
        alerts = _raise_alerts(session, candidates, import_record, now)
        summary = ImportSummary(
            schools=len(checked.spans),
            pupils=len(checked.pupils),
            marks=checked.mark_count,
            weeks=weeks,
            first_date=checked.first_date,
            last_date=checked.last_date,
            marks_replaced=replaced,
            alerts=alerts,
            lines_skipped=checked.bad_lines,
        )
        audit.record(
            session,
            actor,
            "import",
            "attendance_import",
            import_record.id if import_record is not None else None,
            after={**summary_dict(summary), "imported_on": today.isoformat()},
            actor_label=actor_label,
        )
        if import_record is not None:
            import_record.status, import_record.stage, import_record.content = "imported", None, None
            import_record.summary = {**(import_record.summary or {}), **summary_dict(summary)}
            import_record.finished_at = now
        if before_commit is not None:
            before_commit()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    steps.reached(1)
    return summary


class _Steps:
    """Progress on the check's scale (0 to the file's lines), each step of the import given a share of it."""

    def __init__(self, callback: Callable[[int], None] | None, total: int):
        self.callback, self.total = callback, total

    def reached(self, share: float) -> None:
        if self.callback is not None:
            self.callback(int(self.total * share))

    def part(self, start: float, end: float) -> Callable[[float], None]:
        return lambda share: self.reached(start + (end - start) * share)


def _among(session: Session, column, values: list):
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`, one parameter however many values (a long IN
    list is slow to send and parse there)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Writer:
    """Rows inserted in bulk into a table: COPY on PostgreSQL, executemany on SQLite. The rows are tuples in the
    order of `columns`, of values as the driver takes them: `value` converts one as SQLAlchemy would (a date is its
    ISO text on SQLite), `day` a date, quickly."""

    def __init__(self, session: Session):
        self.connection = session.connection()
        self.postgresql = self.connection.dialect.name == "postgresql"
        self.day: Callable[[date], Any] = (lambda value: value) if self.postgresql else date.isoformat

    def value(self, column, value: Any) -> Any:
        process = column.type._cached_bind_processor(self.connection.dialect)
        return process(value) if process is not None else value

    def insert(self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        written = 0
        if self.postgresql:
            from psycopg import sql  # the driver only PostgreSQL uses

            copy_rows = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            driver = self.connection.connection.driver_connection
            with driver.cursor() as cursor, cursor.copy(copy_rows) as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        statement = str(insert(table).compile(dialect=self.connection.dialect, column_keys=list(columns)))
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, WRITE_BATCH)):
            self.connection.exec_driver_sql(statement, batch)
            written += len(batch)
        return written

    def set_runs(self, rows: list[tuple], now) -> None:
        """Set each pupil's last marked day and runs: rows of (last_marked_on, current_run_start,
        current_run_sessions, longest_run_start, longest_run_sessions, id), dates as `day` gives them."""
        stamp = self.value(AttendancePupil.__table__.c.updated_at, now)
        if not self.postgresql:
            for batch in _chunks(rows, WRITE_BATCH):
                self.connection.exec_driver_sql(_SET_RUNS_SQLITE, [(*row[:-1], stamp, row[-1]) for row in batch])
            return
        # PostgreSQL: the rows copied into a table of this transaction, then one UPDATE from it.
        self.connection.exec_driver_sql(_RUNS_TABLE)
        self.insert(_RUNS_COPY, _RUNS_COLUMNS, rows)
        self.connection.execute(text(_SET_RUNS_POSTGRESQL), {"now": now})


_RUNS_COLUMNS = (
    "last_marked_on",
    "current_run_start",
    "current_run_sessions",
    "longest_run_start",
    "longest_run_sessions",
    "id",
)
_SET_RUNS_SQLITE = (
    "UPDATE attendance_pupils SET last_marked_on = ?, current_run_start = ?, current_run_sessions = ?, "
    "longest_run_start = ?, longest_run_sessions = ?, updated_at = ? WHERE id = ?"
)
_RUNS_TABLE = (
    "CREATE TEMPORARY TABLE attendance_runs ON COMMIT DROP AS "
    "SELECT last_marked_on, current_run_start, current_run_sessions, longest_run_start, longest_run_sessions, id "
    "FROM attendance_pupils WITH NO DATA"
)
_RUNS_COPY = Table("attendance_runs", MetaData())
_SET_RUNS_POSTGRESQL = (
    "UPDATE attendance_pupils SET last_marked_on = runs.last_marked_on, current_run_start = runs.current_run_start, "
    "current_run_sessions = runs.current_run_sessions, longest_run_start = runs.longest_run_start, "
    "longest_run_sessions = runs.longest_run_sessions, updated_at = :now "
    "FROM attendance_runs AS runs WHERE attendance_pupils.id = runs.id"
)


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


def _write_pupils(session: Session, writer: _Writer, checked: CheckedFile, now) -> dict[str, int]:
    """Add the pupils the file names for the first time, update the others' names, date of birth and school, and
    link each pupil not yet linked to a child the CME team knows. Each UPN's pupil id."""
    pupils = AttendancePupil
    schools = _latest_schools(checked)
    upns = list(checked.pupils)
    held: dict[str, Any] = {}
    for chunk in _chunks(upns, LOOKUP_BATCH):
        rows = session.execute(
            select(
                pupils.id,
                pupils.upn,
                pupils.first_name,
                pupils.last_name,
                pupils.date_of_birth,
                pupils.school_id,
                pupils.child_id,
            ).where(_among(session, pupils.upn, chunk))
        )
        held.update((row.upn, row) for row in rows)
    links = _children_for(session, checked.pupils, [upn for upn in upns if upn not in held or not held[upn].child_id])

    new = [upn for upn in upns if upn not in held]
    day = writer.day
    stamp = writer.value(pupils.__table__.c.updated_at, now)
    writer.insert(
        pupils.__table__,
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
    for chunk in _chunks(new, LOOKUP_BATCH):
        ids.update(session.execute(select(pupils.upn, pupils.id).where(_among(session, pupils.upn, chunk))).all())

    changes = []
    for upn, row in held.items():
        surname, forename, born = checked.pupils[upn]
        values = (forename, surname, born, schools[upn], row.child_id or links.get(upn))
        if values != (row.first_name, row.last_name, row.date_of_birth, row.school_id, row.child_id):
            changes.append(
                dict(zip(("first_name", "last_name", "date_of_birth", "school_id", "child_id"), values, strict=True))
                | {"id": row.id, "updated_at": now}
            )
    for chunk in _chunks(changes, WRITE_BATCH):
        session.execute(update(AttendancePupil), chunk)
    return ids


def _children_for(session: Session, details: dict[str, tuple[str, str, date]], upns: list[str]) -> dict[str, int]:
    """The child each pupil is, for the UPNs given: the one child with the same UPN, or else the one child with
    exactly the same first name, last name (in any case) and date of birth and no UPN recorded (a child whose
    recorded UPN is another is another child, whatever their name)."""
    with_upn: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks(upns, LOOKUP_BATCH):
        for child_id, upn in session.execute(select(Child.id, Child.upn).where(_among(session, Child.upn, chunk))):
            with_upn[upn].add(child_id)
    links = {upn: next(iter(ids)) for upn, ids in with_upn.items() if len(ids) == 1}

    rest = [upn for upn in upns if upn not in links]
    named: dict[tuple[str, str, date], set[int]] = defaultdict(set)
    for chunk in _chunks(sorted({details[upn][2] for upn in rest}), LOOKUP_BATCH):
        rows = session.execute(
            select(Child.id, Child.first_name, Child.last_name, Child.date_of_birth).where(
                _among(session, Child.date_of_birth, chunk),
                Child.first_name.is_not(None),
                Child.last_name.is_not(None),
                Child.upn.is_(None),
            )
        )
        for child_id, first_name, last_name, born in rows:
            named[(first_name.strip().casefold(), last_name.strip().casefold(), born)].add(child_id)
    for upn in rest:
        surname, forename, born = details[upn]
        ids = named.get((forename.casefold(), surname.casefold(), born))
        if ids is not None and len(ids) == 1:
            links[upn] = next(iter(ids))
    return links


# Marks --------------------------------------------------------------------------------------------------------------

_WEEK_COLUMNS = (
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


def _replace_marks(
    session: Session,
    writer: _Writer,
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
            yield _week_row(pupil_id, monday, school_id, marks, counted, days, day)
            if done % PROGRESS_ROWS == 0:
                progress(done / len(checked.weeks))
        for (school_id, pupil_id, monday), marks in kept.items():
            yield _week_row(pupil_id, monday, school_id, marks, counted, days, day)

    if not touched:  # nothing held on the file's dates: every week is new
        written = writer.insert(weeks.__table__, _WEEK_COLUMNS, rows())
        progress(1)
        return written, replaced, touched
    # The file's weeks go into a table of their own first; then, in three statements, the weeks it no longer has
    # are deleted, those it changes are updated and those it adds are inserted. A file sent again changes nothing,
    # and writing only what changed is far quicker than deleting and inserting every week.
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    connection.exec_driver_sql("DROP TABLE IF EXISTS attendance_incoming")
    connection.exec_driver_sql(_INCOMING_POSTGRESQL if postgresql else _INCOMING_SQLITE)
    written = writer.insert(_INCOMING, _WEEK_COLUMNS, rows())
    connection.exec_driver_sql(_INCOMING_KEY)
    for school_id, (first, last) in checked.spans.items():
        span = {"school_id": school_id, "first_week": week_start(first), "last_week": week_start(last)}
        session.execute(_DELETE_GONE, span)
    session.execute(text(_UPDATE_CHANGED))
    session.execute(text(_INSERT_NEW))
    connection.exec_driver_sql("DROP TABLE attendance_incoming")
    progress(1)
    return written, replaced, touched


_INCOMING = AttendanceWeek.__table__.to_metadata(MetaData(), name="attendance_incoming")
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


def _week_row(pupil_id, monday, school_id, marks, counted, days, day) -> tuple:
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


# Rollups ------------------------------------------------------------------------------------------------------------

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


def _recompute_rollups(
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
        for chunk in _chunks(sorted(school_ids), LOOKUP_BATCH):
            session.execute(
                delete(AttendanceSchoolWeek).where(
                    AttendanceSchoolWeek.school_id.in_(chunk),
                    AttendanceSchoolWeek.week_start.between(first_week, last_week),
                )
            )
            session.execute(_ROLLUP, {"school_ids": chunk, "first_week": first_week, "last_week": last_week})
        progress(done / len(by_term))


# Runs and alerts ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """A pupil whose current run of unexplained absence is long enough for an alert."""

    pupil_id: int
    run_start: date
    sessions: int
    school_id: int  # the school of the run's latest marks


def _recompute_runs(session: Session, writer: _Writer, pupil_ids: list[int], now, progress) -> list[_Candidate]:
    """Each pupil's current and longest runs and last marked day, from all their weeks at every school; the
    pupils whose current run has reached `ALERT_SESSIONS`."""
    weeks = AttendanceWeek
    candidates: list[_Candidate] = []
    changes: list[tuple] = []
    day = writer.day
    mondays = _Mondays()
    connection = session.connection()  # rows as the driver gives them: hundreds of thousands of them
    for done, chunk in enumerate(_chunks(pupil_ids, LOOKUP_BATCH), start=1):
        rows = connection.execute(
            select(weeks.pupil_id, type_coerce(weeks.week_start, String), weeks.school_id, weeks.marks)
            .where(_among(session, weeks.pupil_id, chunk))
            .order_by(weeks.pupil_id, weeks.week_start, weeks.school_id)
        ).all()
        rows = ((pupil_id, mondays[monday], school_id, marks) for pupil_id, monday, school_id, marks in rows)
        unmarked = set(chunk)  # a pupil whose marks the file took away has no runs left
        for pupil_id, pupil_rows in itertools.groupby(rows, key=itemgetter(0)):
            unmarked.discard(pupil_id)
            found, last_day, candidate = _pupil_runs(pupil_id, list(pupil_rows))
            current, longest = found.current, found.longest
            changes.append(
                (
                    day(last_day),
                    day(current.start) if current else None,
                    current.sessions if current else 0,
                    day(longest.start) if longest else None,
                    longest.sessions if longest else 0,
                    pupil_id,
                )
            )
            if candidate is not None:
                candidates.append(candidate)
        changes.extend((None, None, 0, None, 0, pupil_id) for pupil_id in unmarked)
        progress(min(1, done * LOOKUP_BATCH / max(len(pupil_ids), 1)))
    writer.set_runs(changes, now)
    return candidates


class _Mondays(dict):
    """Dates as the database gives them (ISO text on SQLite, dates on PostgreSQL), each converted once."""

    def __missing__(self, value):
        found = self[value] = value if isinstance(value, date) else date.fromisoformat(value)
        return found


def _pupil_runs(pupil_id: int, rows: list) -> tuple[Runs, date, _Candidate | None]:
    """A pupil's runs and last marked day from their weeks, (pupil id, Monday, school id, marks) in date order (a
    week with two schools' marks taken as one, `combine`), and the alert it calls for, if any."""
    merged: list[tuple[date, str]] = []
    by_week: list[list] = []
    for monday, week_rows in itertools.groupby(rows, key=itemgetter(1)):
        week_rows = list(week_rows)
        marks = week_rows[0][3]
        for row in week_rows[1:]:
            marks = combine(marks, row[3])
        merged.append((monday, marks))
        by_week.append(week_rows)
    found = runs(merged)
    current = found.current
    candidate = None
    if current is not None and current.sessions >= ALERT_SESSIONS:
        candidate = _Candidate(pupil_id, current.start, current.sessions, _run_school(merged, by_week))
    return found, last_marked(*merged[-1]), candidate


def _run_school(merged: list[tuple[date, str]], by_week: list[list]) -> int:
    """The school whose mark is the run's latest unexplained absence."""
    for (_monday, marks), week_rows in zip(reversed(merged), reversed(by_week), strict=True):
        at = max(marks.rfind(symbol) for symbol in UNEXPLAINED)
        if at >= 0:
            return next(row[2] for row in week_rows if row[3][at] == marks[at])
    raise AssertionError("a current run has an unexplained absence")


def _raise_alerts(session: Session, candidates: list[_Candidate], import_record: AttendanceImport | None, now) -> int:
    """An alert for each candidate's run, unless the run has one already."""
    if not candidates:
        return 0
    raised: set[tuple[int, date]] = set()
    for chunk in _chunks([candidate.pupil_id for candidate in candidates], LOOKUP_BATCH):
        raised.update(
            session.execute(
                select(AttendanceAlert.pupil_id, AttendanceAlert.run_start).where(
                    _among(session, AttendanceAlert.pupil_id, chunk)
                )
            )
        )
    new = [candidate for candidate in candidates if (candidate.pupil_id, candidate.run_start) not in raised]
    if not new:
        return 0
    pupils = AttendancePupil
    details = {}
    for chunk in _chunks([candidate.pupil_id for candidate in new], LOOKUP_BATCH):
        rows = session.execute(
            select(
                pupils.id, pupils.upn, pupils.first_name, pupils.last_name, pupils.date_of_birth, pupils.child_id
            ).where(_among(session, pupils.id, chunk))
        )
        details.update((row.id, row) for row in rows)
    session.execute(
        insert(AttendanceAlert),
        [
            {
                "reference": new_reference("AA"),
                "pupil_id": candidate.pupil_id,
                "school_id": candidate.school_id,
                "import_id": import_record.id if import_record is not None else None,
                "run_start": candidate.run_start,
                "sessions": candidate.sessions,
                "raised_at": now,
                "status": ReferralStatus.NEW,
                "upn": details[candidate.pupil_id].upn,
                "pupil_first_name": details[candidate.pupil_id].first_name,
                "pupil_last_name": details[candidate.pupil_id].last_name,
                "pupil_date_of_birth": details[candidate.pupil_id].date_of_birth,
                "child_id": details[candidate.pupil_id].child_id,
            }
            for candidate in new
        ],
    )
    return len(new)
