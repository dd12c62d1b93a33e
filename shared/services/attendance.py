"""Importing a file of attendance marks: check it, then write it in one transaction.

How a page or a command uses it:

    checked = check_file(session, data, calendar=calendar, allowed_school_ids=..., progress=...)
    # FileRejected (shared.importers.attendance_checked): the file cannot be imported at all (str(error) says why)
    # checked.problems: the first 1,000 MarkProblems (each with line, field, message); checked.problem_count: all
    summary = import_marks(session, checked, actor=user, skip_bad_lines=..., today=..., calendar=calendar)
    # LinesHaveProblems: lines have problems and skip_bad_lines is false (nothing written)
    # ImportSummary: what was written

Importing replaces, never doubles: for each school in the file, every mark the school already has in the sessions
the file covers for it (its first to its last session, so a file exported at midday replaces only that half day)
is replaced by the file's, for every pupil (a pupil the new file does not name loses those sessions at that
school); marks in other sessions are kept (`attendance_marks`). The school's weekly rollups are recomputed for every
week of each term the file touches (`attendance_rollups`), each touched pupil's runs of unexplained absence from all
their marks, and a pupil whose current run has reached `ALERT_SESSIONS` gets one alert for that run
(`attendance_alerts`).

Marks are written with bulk statements (COPY on PostgreSQL, executemany on SQLite: `attendance_bulk`), a
pupil-week a row, so a medium authority's term (6.5 million marks) is written in seconds, and held at most a batch
at a time besides the checked file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, BinaryIO

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shared.clock import uk_today, utcnow
from shared.domain.attendance import ImportStatus
from shared.domain.problems import LineProblem, required
from shared.domain.school_days import SchoolCalendar
from shared.importers.attendance_checked import CheckedFile, SchoolLookup
from shared.importers.attendance_csv import read_attendance
from shared.models import AttendanceImport, School, User
from shared.services import audit
from shared.services.attendance_alerts import raise_alerts, recompute_runs
from shared.services.attendance_bulk import Writer
from shared.services.attendance_marks import replace_marks, write_pupils
from shared.services.attendance_rollups import recompute_rollups

# Imports are taken one at a time on PostgreSQL (SQLite has one writer anyway): two at once would both replace
# the same pupils' weeks and add the same pupils.
_IMPORT_LOCK = 6_060_601


class ImportRefused(Exception):
    """The checked file cannot be imported as asked: nothing was written."""


class LinesHaveProblems(ImportRefused):
    """Lines have problems and skipping them was not asked for."""

    def __init__(self, checked: CheckedFile):
        self.problems: list[LineProblem] = checked.problems  # the first 1,000
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
        writer = Writer(session)
        now = utcnow()
        pupil_ids = write_pupils(session, writer, checked, now)
        steps.reached(0.05)
        weeks, replaced, touched = replace_marks(session, writer, checked, pupil_ids, steps.part(0.05, 0.6))
        recompute_rollups(session, checked.spans, calendar, steps.part(0.6, 0.7))
        candidates = recompute_runs(
            session, writer, sorted(touched | set(pupil_ids.values())), now, steps.part(0.7, 0.97)
        )
        alerts = raise_alerts(session, candidates, import_record, now)
        summary = ImportSummary(
            schools=len(checked.spans),
            pupils=len(checked.pupils),
            marks=checked.mark_count,
            weeks=weeks,
            first_date=required(checked.first_date),  # a file with weeks has dates
            last_date=required(checked.last_date),
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
            import_record.status, import_record.stage, import_record.content = ImportStatus.IMPORTED, None, None
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
