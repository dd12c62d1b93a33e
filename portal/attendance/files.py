"""The pages of a file of attendance marks, the same for the CME team (any school's file) and for a school user
(their own school's, portal/schools/attendance.py): the upload page, where a CSV is stored whole and then checked in
the background, and the file's page, which shows progress, then its problems and the choice to import, then what was
imported."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice

from portal.database import db_session
from portal.tasks import engine
from portal.tasks.work import check_attendance_later
from shared.clock import utcnow
from shared.domain.attendance import IN_PROGRESS, ImportStatus
from shared.domain.reference import InvalidReference, normalise_reference
from shared.models import AttendanceImport, School
from shared.queries import attendance_files as queries
from shared.services import attendance_files
from webcommon.forms import BaseForm

SHOWN_PROBLEMS = 100
REFRESH_SECONDS = 3
RECENT_FILES = 10


class UploadForm(BaseForm):
    file = FileField("Upload a file of attendance marks")


class ConfirmForm(BaseForm):
    action = RadioField(
        "What do you want to do?",
        choices=[
            SelectChoice("skip", "Import the file without the lines that have problems"),
            SelectChoice("discard", "Do not import this file"),
        ],
        validate_choice=False,
    )


def upload_view(*, school: School | None, import_endpoint: str, back_url: str):
    """The upload page: a CSV stored whole, then checked in the background while its page shows progress."""
    form = UploadForm()

    def page():
        return render_template(
            "staff/attendance/upload.html",
            form=form,
            recent=queries.recent_files(db_session(), school.id if school else None, RECENT_FILES),
            import_endpoint=import_endpoint,
            statuses=ImportStatus,
            school=school,
            back_url=back_url,
            back_text="Back",
        )

    if request.method == "GET":
        return page()
    if not form.fresh():  # held back: the message, and the file to choose again
        return page()
    chosen = form.file.data
    if chosen is None or not chosen.filename:
        form.file.errors = ["Select a CSV file of attendance marks"]
        return page()
    if not chosen.filename.lower().endswith((".csv", ".txt")):
        form.file.errors = ["The selected file must be a CSV file"]
        return page()
    content = chosen.read()
    if not content:
        form.file.errors = ["The selected file is empty"]
        return page()
    record = attendance_files.add_file(
        db_session(),
        file_name=chosen.filename,
        content=content,
        uploaded_by_id=current_user.id,
        school_id=school.id if school else None,
    )
    check_attendance_later(record.id)
    return redirect(url_for(import_endpoint, reference=record.reference))


def find_import(reference: str, school_id: int | None = None) -> AttendanceImport:
    """The file with the reference; for a school user, only one of their own school's (another's is not there)."""
    try:
        reference = normalise_reference(reference)
    except InvalidReference:
        abort(404)
    record = queries.file_by_reference(db_session(), reference, school_id)
    if record is None:
        abort(404)
    return record


def import_view(record: AttendanceImport, *, import_endpoint: str, upload_url: str, back_url: str, done_url: str):
    """A file's page: progress while it is checked or imported, then its problems and the choice to import, then
    what was imported. A second click or another tab never starts the work twice."""
    session = db_session()
    form = ConfirmForm()
    here = url_for(import_endpoint, reference=record.reference)
    if request.method == "POST":
        if record.status != ImportStatus.CHECKED:  # imported, discarded or running already (a second click): show it
            return redirect(here)
        action = request.form.get("action") if record.problem_count else "import"
        if not form.fresh():
            pass  # the page again, with the message; nothing is done
        elif action not in ("import", "skip", "discard"):
            form.action.errors = ["Select whether to import the file without the lines that have problems"]
        elif action == "discard":
            attendance_files.discard(session, record.id)
            return redirect(here)
        else:
            if attendance_files.send_to_import(session, record.id, skip_bad_lines=action == "skip"):
                check_attendance_later(record.id)
            return redirect(here)
    running = record.status in IN_PROGRESS
    now = utcnow()
    alive = engine.seen_alive(now) if running else None  # the queue is asked only while the work goes on
    waiting = attendance_files.waiting(record, now, alive)
    worker_silent = waiting and alive is not None and not alive
    alerts = []
    if record.status == ImportStatus.IMPORTED and record.school_id is None:
        alerts = queries.alerts_raised(session, record.id)
    return render_template(
        "staff/attendance/import.html",
        record=record,
        form=form,
        statuses=ImportStatus,
        waiting=waiting,
        worker_silent=worker_silent,
        running=running,
        refresh=REFRESH_SECONDS,
        problems=record.problems[:SHOWN_PROBLEMS],
        alerts=alerts,
        here=here,
        upload_url=upload_url,
        done_url=done_url,
        back_url=back_url,
        back_text="Back",
    )
