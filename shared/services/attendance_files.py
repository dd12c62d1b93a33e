"""A file of attendance marks through its life: stored when it is uploaded, checked and then imported by the
background worker (`cme worker`, portal/tasks), never in the request that uploaded it, so a large file never holds a
request open. The file waits in `attendance_imports` (never in the cookie), and its page refreshes itself to show
how far the work has got.

The row is the record of the work; a task only starts it. A worker takes the file with a lease (`claim`), which its
progress renews; a worker that dies (killed, its server lost) leaves a lease that runs out, or a worker that has
gone silent, and the sweeper (`stalled_ids`, every minute) queues the file again: its check or import starts again
from the stored file. Checking reads the whole file and stores its problems; importing checks it again and writes
every mark in one transaction, which commits only while the lease is still this worker's, so the marks are written
once. A file whose work has stopped `MAX_ATTEMPTS` times is not tried again.

Who is alive is the task engine's to say: the caller passes the workers heard from lately (`alive`), or None when
that cannot be trusted, and then only a lease that has run out is handed on.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from shared.clock import uk_today, utcnow
from shared.db import rows_changed
from shared.domain.attendance import IN_PROGRESS, ImportStatus
from shared.domain.reference import new_reference
from shared.importers.attendance_checked import FileRejected
from shared.models import AttendanceImport, User
from shared.services import attendance
from shared.services.calendar import school_calendar

log = logging.getLogger(__name__)

PROBLEMS_KEPT = 1000
# A worker's hold on a file, renewed by its progress. Writing the marks on SQLite shows no progress (one writer at a
# time), so that stage holds it longer: a worker that dies then is known by its silent heartbeat instead.
LEASE = timedelta(minutes=2)
WRITING_LEASE = timedelta(hours=2)
# Queued but not taken for this long (the queue was lost, or could not be reached): the sweeper queues it again.
UNCLAIMED_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 3
KEPT_FOR = timedelta(days=1)  # a file not imported by then is not kept
WAITING_TO_START = "Waiting to start"
WENT_WRONG = "Something went wrong on our side. Nothing from the file has been imported."
GAVE_UP = (
    "The work on this file stopped {attempts} times before it finished. Nothing from it has been imported. "
    "Upload it again, or ask the service's administrators to look at the background worker's log."
)
NOT_FINISHED = "The work on this file did not finish within a day. Nothing from it has been imported."


# Uploaded, then the uploader's choice --------------------------------------------------------------------------------


def add_file(
    session: Session, *, file_name: str, content: bytes, uploaded_by_id: int, school_id: int | None
) -> AttendanceImport:
    """Store an uploaded file whole, to be checked: the caller queues its check once this has committed. A school
    user's file (`school_id`) may hold only that school's marks."""
    record = AttendanceImport(
        reference=new_reference("AF"),
        uploaded_by_id=uploaded_by_id,
        school_id=school_id,
        file_name=file_name[:255],
        content=content,
        size=len(content),
        status=ImportStatus.CHECKING,
        stage=WAITING_TO_START,
        progress_at=utcnow(),
    )
    session.add(record)
    session.commit()
    return record


def send_to_import(session: Session, import_id: int, *, skip_bad_lines: bool) -> bool:
    """The uploader asks for a checked file to be imported (without its lines that have problems, if they said so).
    False when it is no longer waiting for them (another tab sent or discarded it): then nothing is to be queued."""
    sent = rows_changed(
        session,
        update(AttendanceImport)
        .where(AttendanceImport.id == import_id, AttendanceImport.status == ImportStatus.CHECKED)
        .values(
            status=ImportStatus.IMPORTING,
            stage=WAITING_TO_START,
            skip_bad_lines=skip_bad_lines,
            progress_at=utcnow(),
            lease_holder=None,
            lease_until=None,
            attempts=0,
        ),
        synchronize_session=False,
    )
    session.commit()
    return sent == 1


def discard(session: Session, import_id: int) -> bool:
    """The uploader chose not to import a checked file: its bytes (pupils' details) go. Only a file still waiting
    for them: one another tab has just sent to be imported is left as it is."""
    discarded = rows_changed(
        session,
        update(AttendanceImport)
        .where(AttendanceImport.id == import_id, AttendanceImport.status == ImportStatus.CHECKED)
        .values(status=ImportStatus.DISCARDED, content=None, stage=None, finished_at=utcnow()),
        synchronize_session=False,
    )
    session.commit()
    return discarded == 1


# Leases ---------------------------------------------------------------------------------------------------------------


def new_holder(worker: str) -> str:
    """A lease holder's name: the worker's id and what this claim is, so one claim never mistakes another's."""
    return f"{worker}/{secrets.token_hex(4)}"


def lease_worker(holder: str | None) -> str | None:
    """The worker a lease holder's name names."""
    return holder.rsplit("/", 1)[0] if holder else None


# The leases this process is working under: its worker's heartbeat renews these, and only these.
_working: set[str] = set()
_working_lock = threading.Lock()


def working() -> set[str]:
    with _working_lock:
        return set(_working)


def waiting(record: AttendanceImport, now: datetime, alive: set[str] | None = None) -> bool:
    """Whether no worker is doing the file's work now: queued, or its lease ran out, or its worker is not among the
    `alive` (None: not known). The sweeper hands it on."""
    if record.status not in IN_PROGRESS:
        return False
    if record.lease_until is None or record.lease_until < now:
        return True
    return alive is not None and lease_worker(record.lease_holder) not in alive


def claim(
    session: Session, import_id: int, holder: str, now: datetime, gone: set[str] | frozenset[str] = frozenset()
) -> bool:
    """Take the file's work for `holder`: only a file still to be checked or imported, whose lease nobody holds (or
    holds past its time, or whose worker is among the `gone`). Counts the attempt."""
    free = [AttendanceImport.lease_until.is_(None), AttendanceImport.lease_until < now]
    free += [AttendanceImport.lease_holder.like(f"{worker}/%") for worker in sorted(gone)]
    taken = rows_changed(
        session,
        update(AttendanceImport)
        .where(AttendanceImport.id == import_id, AttendanceImport.status.in_(IN_PROGRESS), or_(*free))
        .values(
            lease_holder=holder,
            lease_until=now + LEASE,
            attempts=AttendanceImport.attempts + 1,
            progress_at=now,
        ),
        synchronize_session=False,
    )
    session.commit()
    return taken == 1


def stalled_ids(session: Session, now: datetime, alive: set[str] | None) -> list[int]:
    """Files whose work nobody is doing: queued a while ago and never taken, or held by a lease that has run out or
    whose worker is no longer among the `alive` (None: the heartbeats cannot be trusted, leases alone decide). The
    sweeper queues each again."""
    rows = session.execute(
        select(
            AttendanceImport.id,
            AttendanceImport.lease_holder,
            AttendanceImport.lease_until,
            AttendanceImport.progress_at,
            AttendanceImport.uploaded_at,
        ).where(AttendanceImport.status.in_(IN_PROGRESS))
    ).all()
    found = []
    for import_id, holder, until, progress_at, uploaded_at in rows:
        if holder is None:
            if now - (progress_at or uploaded_at) >= UNCLAIMED_AFTER:
                found.append(import_id)
        elif until is None or until < now or (alive is not None and lease_worker(holder) not in alive):
            found.append(import_id)
    return sorted(found)


def renew_leases(session: Session, holders: set[str], now: datetime) -> int:
    """Keep the files this process is working on its own (its heartbeat calls this with `working()`), however long a
    step of the work goes without progress. A longer lease already given (writing on SQLite) is left as it is."""
    if not holders:
        return 0
    renewed = rows_changed(
        session,
        update(AttendanceImport)
        .where(
            AttendanceImport.status.in_(IN_PROGRESS),
            AttendanceImport.lease_holder.in_(sorted(holders)),
            AttendanceImport.lease_until < now + LEASE,
        )
        .values(lease_until=now + LEASE),
        synchronize_session=False,
    )
    session.commit()
    return renewed


class LeaseLost(Exception):
    """Another worker has taken the file (this one was taken for dead): this one's work is not committed."""


class _Progress:
    """Writes how far the job has got to the file's row, in its own short transaction, renewing the lease. SQLite
    lets one writer at a time, so while the import's own transaction is open there, only the stage is shown."""

    def __init__(self, sessions: sessionmaker, import_id: int, holder: str, *, sqlite: bool):
        self.sessions, self.import_id, self.holder, self.sqlite = sessions, import_id, holder, sqlite
        self.writing = False

    def stage(self, text: str, *, writing: bool = False) -> None:
        lease = WRITING_LEASE if writing and self.sqlite else LEASE
        self._save(stage=text, lines_done=0, lease_until=utcnow() + lease)
        self.writing = writing

    def __call__(self, lines_done: int) -> None:
        if self.writing and self.sqlite:
            return
        self._save(lines_done=lines_done, lease_until=utcnow() + LEASE)

    def _save(self, **values) -> None:
        with self.sessions() as session:
            session.execute(
                update(AttendanceImport)
                .where(AttendanceImport.id == self.import_id, AttendanceImport.lease_holder == self.holder)
                .values(progress_at=utcnow(), **values)
            )
            session.commit()


# The work on one file -------------------------------------------------------------------------------------------------


def run(sessions: sessionmaker, import_id: int, worker: str, *, alive: set[str] | None) -> str:
    """Take the file's work for `worker`, if nobody else has it (or its worker is not among the `alive`: None, not
    known), and do it: its check, or its check and import. Says what happened (for the log and the tests): "done",
    "not claimed", "gave up" or "failed"."""
    holder = new_holder(worker)
    with _working_lock:
        _working.add(holder)
    try:
        return _run(sessions, import_id, holder, alive)
    finally:
        with _working_lock:
            _working.discard(holder)


def _run(sessions: sessionmaker, import_id: int, holder: str, alive: set[str] | None) -> str:
    with sessions() as session:
        if not claim(session, import_id, holder, utcnow(), gone=_gone_workers(session, import_id, alive)):
            return "not claimed"
        record = session.get(AttendanceImport, import_id)
        if record is None or record.content is None:
            return "not claimed"
        if record.attempts > MAX_ATTEMPTS:
            _fail(session, import_id, holder, GAVE_UP.format(attempts=MAX_ATTEMPTS))
            log.error("attendance file %s given up after %d attempts", record.reference, MAX_ATTEMPTS)
            return "gave up"
        sqlite = session.get_bind().dialect.name == "sqlite"
        try:
            _work(session, record, record.content, _Progress(sessions, import_id, holder, sqlite=sqlite), holder)
        except LeaseLost:
            session.rollback()
            log.warning("attendance file %s was taken by another worker: this one's work is dropped", record.reference)
            return "not claimed"
        except Exception:
            log.exception("attendance import %s failed", record.reference)
            session.rollback()
            _fail(session, import_id, holder, WENT_WRONG)
            return "failed"
    return "done"


def _gone_workers(session: Session, import_id: int, alive: set[str] | None) -> set[str]:
    """The worker holding the file's lease, if it has gone silent: its lease is handed on without waiting for it to
    run out. Only while the heartbeats can be trusted (`alive` is not None)."""
    holder = session.scalar(select(AttendanceImport.lease_holder).where(AttendanceImport.id == import_id))
    worker = lease_worker(holder)
    if worker is None or alive is None or worker in alive:
        return set()
    return {worker}


def _fail(session: Session, import_id: int, holder: str, error: str) -> None:
    """The file is not imported: only while it is still this worker's (another may have taken it, and finished)."""
    session.execute(
        update(AttendanceImport)
        .where(
            AttendanceImport.id == import_id,
            AttendanceImport.lease_holder == holder,
            AttendanceImport.status.in_(IN_PROGRESS),
        )
        .values(**_not_imported(utcnow(), error)),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def _not_imported(now: datetime, error: str) -> dict:
    """A file's row once its work has ended without an import: the reason kept, the pupils' details not."""
    return {
        "status": ImportStatus.FAILED,
        "stage": None,
        "content": None,
        "finished_at": now,
        "lease_holder": None,
        "lease_until": None,
        "error": error,
    }


def _still_ours(session: Session, import_id: int, holder: str) -> None:
    """Called inside the import's transaction before it commits: the marks are written only by the lease's holder
    (on PostgreSQL the row is locked until the commit, so nobody can take it between this check and the commit)."""
    current = session.scalar(
        select(AttendanceImport.lease_holder).where(AttendanceImport.id == import_id).with_for_update()
    )
    if current != holder:
        raise LeaseLost()


def _commit(session: Session, record: AttendanceImport, holder: str, *, release: bool = True) -> None:
    """Commit the file's check (or its end) while it is still this worker's, and let go of it unless the work goes
    on: a file waiting for the user holds no lease, so their Import starts at once."""
    _still_ours(session, record.id, holder)
    if release:
        record.lease_holder, record.lease_until = None, None
    session.commit()


def _problem_dicts(problems) -> list[dict]:
    return [{"line": p.line, "field": p.field, "message": p.message} for p in problems[:PROBLEMS_KEPT]]


def _work(session: Session, record: AttendanceImport, content: bytes, progress: _Progress, holder: str) -> None:
    checking = record.status == ImportStatus.CHECKING  # else importing: checked again, then imported
    calendar = school_calendar(session)
    progress.stage("Checking the file")
    allowed = None if record.school_id is None else {record.school_id}
    try:
        checked = attendance.check_file(
            session, content, calendar=calendar, allowed_school_ids=allowed, progress=progress
        )
    except FileRejected as rejected:
        record.status, record.error, record.stage = ImportStatus.REJECTED, str(rejected), None
        record.finished_at = utcnow()
        record.content = None  # nothing from it can be used: the pupils' details in it are not kept
        _commit(session, record, holder)
        return
    record.problems = _problem_dicts(checked.problems)
    record.problem_count = checked.problem_count
    record.lines_total = checked.lines
    record.summary = attendance.describe(checked)
    if checking or (checked.problem_count and not record.skip_bad_lines):
        # Checked; or the file changed its mind between the check and the import (never: it is the same bytes).
        record.status, record.stage, record.finished_at = ImportStatus.CHECKED, None, utcnow()
        record.attempts = 0  # the import, if the user asks for it, is work of its own: its attempts count afresh
        _commit(session, record, holder)
        return
    if not checked.weeks:
        record.status, record.stage, record.finished_at = ImportStatus.REJECTED, None, utcnow()
        record.error = "No line of the file can be imported: every line has a problem."
        record.content = None
        _commit(session, record, holder)
        return
    _commit(session, record, holder, release=False)
    progress.stage("Importing the marks", writing=True)
    actor = session.get(User, record.uploaded_by_id) if record.uploaded_by_id else None
    # Marks the file imported, its summary kept and its bytes emptied, in the import's own transaction.
    attendance.import_marks(
        session,
        checked,
        actor=actor,
        import_record=record,
        skip_bad_lines=record.skip_bad_lines,
        today=uk_today(),
        calendar=calendar,
        progress=progress,
        before_commit=lambda: _still_ours(session, record.id, holder),
    )


# Files not imported -----------------------------------------------------------------------------------------------


def purge(session: Session, now: datetime) -> int:
    """Files nobody imported within `KEPT_FOR` are not kept: a checked file left waiting is discarded, one whose
    work no worker has finished is marked not imported, and either's bytes (pupils' details) are emptied. Returns
    how many."""
    cutoff = now - KEPT_FOR
    discarded = rows_changed(
        session,
        update(AttendanceImport)
        .where(AttendanceImport.status == ImportStatus.CHECKED, AttendanceImport.uploaded_at < cutoff)
        .values(status=ImportStatus.DISCARDED, content=None, stage=None, finished_at=now),
        synchronize_session=False,
    )
    stopped = rows_changed(
        session,
        update(AttendanceImport)
        .where(
            AttendanceImport.status.in_(IN_PROGRESS),
            AttendanceImport.uploaded_at < cutoff,
            or_(AttendanceImport.lease_until.is_(None), AttendanceImport.lease_until < now),
        )
        .values(**_not_imported(now, NOT_FINISHED)),
        synchronize_session=False,
    )
    session.commit()
    return discarded + stopped
