"""Attendance files are checked and imported away from the request that uploaded them, one at a time, in a
background thread of the process that received them, so a large file never holds a request open. The file waits
in `attendance_imports` (never in the cookie), and its page refreshes itself to show how far the work has got.

Checking reads the whole file and stores its problems; importing checks it again (another worker process may
serve the confirmation, so nothing is kept in memory between the two) and writes every mark in one transaction.
A job that stops without finishing (the process ended) has imported nothing; its page says so after
`STALLED_AFTER` without progress, and the file can be checked again.
"""

from __future__ import annotations

import logging
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from flask import Flask
from sqlalchemy import update

from portal.database import database
from shared.clock import uk_today, utcnow
from shared.models import AttendanceImport, User
from shared.services import attendance as service
from shared.services.calendar import school_calendar

log = logging.getLogger(__name__)

CHECK, IMPORT = "check", "import"
CHECKING, CHECKED, REJECTED = "checking", "checked", "rejected"
IMPORTING, IMPORTED, FAILED, DISCARDED = "importing", "imported", "failed", "discarded"
RUNNING = (CHECKING, IMPORTING)
STATUS_LABELS = {
    CHECKING: "Being checked",
    CHECKED: "Checked, not imported",
    REJECTED: "Cannot be imported",
    IMPORTING: "Being imported",
    IMPORTED: "Imported",
    FAILED: "Not imported",
    DISCARDED: "Not imported",
}
PROBLEMS_KEPT = 1000
STALLED_AFTER = timedelta(minutes=10)
KEPT_FOR = timedelta(days=1)  # a file not imported by then is not kept

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attendance-import")
_futures: dict[int, Future] = {}


def start(app: Flask, record: AttendanceImport, job: str) -> None:
    """Run the check (or the check and import) of a stored file in the background."""
    _futures[record.id] = _executor.submit(_run, app, record.id, job)


def wait(import_id: int, timeout: float | None = None) -> None:
    """Wait for the file's job to finish (for the command line and tests)."""
    future = _futures.get(import_id)
    if future is not None:
        future.result(timeout)


def finish_all(timeout: float | None = None) -> None:
    """Wait for every job this process has started, then forget them (between tests, whose databases start
    again from nothing)."""
    futures.wait(list(_futures.values()), timeout)
    _futures.clear()


def stalled(record: AttendanceImport) -> bool:
    """Whether the file's work has shown no progress for `STALLED_AFTER` (the process doing it has ended)."""
    future = _futures.get(record.id)
    if future is not None and not future.done():  # queued or working in this process (on SQLite, silently)
        return False
    last = record.progress_at or record.uploaded_at
    return record.status in RUNNING and utcnow() - last > STALLED_AFTER


class _Progress:
    """Writes how far the job has got to the file's row, in its own short transaction. SQLite lets one writer at
    a time, so while the import's own transaction is open there, only the stage is shown."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.sqlite = database().engine.dialect.name == "sqlite"
        self.writing = False

    def stage(self, text: str, *, writing: bool = False) -> None:
        self._save(stage=text, lines_done=0)
        self.writing = writing

    def __call__(self, lines_done: int) -> None:
        if self.writing and self.sqlite:
            return
        self._save(lines_done=lines_done)

    def _save(self, **values) -> None:
        with database().sessionmaker() as session:
            session.execute(
                update(AttendanceImport)
                .where(AttendanceImport.id == self.import_id)
                .values(progress_at=utcnow(), **values)
            )
            session.commit()


def _problem_dicts(problems) -> list[dict]:
    return [{"line": p.line, "field": p.field, "message": p.message} for p in problems[:PROBLEMS_KEPT]]


def _run(app: Flask, import_id: int, job: str) -> None:
    with app.app_context():
        progress = _Progress(import_id)
        with database().sessionmaker() as session:
            record = session.get(AttendanceImport, import_id)
            if record is None or record.content is None:
                return
            try:
                _work(app, session, record, job, progress)
            except Exception:
                log.exception("attendance import %s failed", record.reference)
                session.rollback()
                session.execute(
                    update(AttendanceImport)
                    .where(AttendanceImport.id == import_id)
                    .values(
                        status=FAILED,
                        stage=None,
                        content=None,
                        finished_at=utcnow(),
                        error="Something went wrong on our side. Nothing from the file has been imported.",
                    )
                )
                session.commit()


def _work(app: Flask, session, record: AttendanceImport, job: str, progress: _Progress) -> None:
    calendar = school_calendar(session)
    progress.stage("Checking the file")
    allowed = None if record.school_id is None else {record.school_id}
    try:
        checked = service.check_file(
            session, record.content, calendar=calendar, allowed_school_ids=allowed, progress=progress
        )
    except service.FileRejected as rejected:
        record.status, record.error, record.stage, record.finished_at = REJECTED, str(rejected), None, utcnow()
        record.content = None  # nothing from it can be used: the pupils' details in it are not kept
        session.commit()
        return
    record.problems = _problem_dicts(checked.problems)
    record.problem_count = checked.problem_count
    record.lines_total = checked.lines
    record.summary = service.describe(checked)
    if job == CHECK or (checked.problem_count and not record.skip_bad_lines):
        # Checked; or the file changed its mind between the check and the import (never: it is the same bytes).
        record.status, record.stage, record.finished_at = CHECKED, None, utcnow()
        session.commit()
        return
    if not checked.weeks:
        record.status, record.stage, record.finished_at = REJECTED, None, utcnow()
        record.error = "No line of the file can be imported: every line has a problem."
        record.content = None
        session.commit()
        return
    session.commit()
    progress.stage("Importing the marks", writing=True)
    actor = session.get(User, record.uploaded_by_id) if record.uploaded_by_id else None
    # Marks the file imported, its summary kept and its bytes emptied, in the import's own transaction.
    service.import_marks(
        session,
        checked,
        actor=actor,
        import_record=record,
        skip_bad_lines=record.skip_bad_lines,
        today=uk_today(),
        calendar=calendar,
        progress=progress,
    )


def purge(session, now) -> int:
    """Files nobody imported within `KEPT_FOR` are not kept: a checked file left waiting is discarded, one whose
    work stopped is marked not imported, and either's bytes (pupils' details) are emptied. Returns how many."""
    cutoff = now - KEPT_FOR
    waiting = session.execute(
        update(AttendanceImport)
        .where(AttendanceImport.status == CHECKED, AttendanceImport.uploaded_at < cutoff)
        .values(status=DISCARDED, content=None, stage=None, finished_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    stopped = session.execute(
        update(AttendanceImport)
        .where(
            AttendanceImport.status.in_(RUNNING),
            AttendanceImport.uploaded_at < cutoff,
            AttendanceImport.progress_at < now - STALLED_AFTER,
        )
        .values(
            status=FAILED,
            content=None,
            stage=None,
            finished_at=now,
            error="The work on this file stopped before it finished. Nothing from it has been imported.",
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.commit()
    return waiting + stopped
