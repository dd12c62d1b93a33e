"""Attendance pages for the CME team: the authority's and each school's measures for a term, the pupils under 90%
and under 50% attendance (names only for the roles that work cases), and uploading a file of marks, checked and
imported in the background with its progress shown."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select, update
from wtforms import RadioField, SelectChoice

from portal.auth.permissions import requires
from portal.database import db_session
from portal.extensions import csrf
from portal.staff import attendance_jobs as jobs
from portal.staff.case_forms import CaseworkForm
from portal.staff.routes import bp
from shared.clock import uk_today, utcnow
from shared.domain.reference import InvalidReference, new_reference, normalise_reference
from shared.domain.roles import Area, may
from shared.domain.terms import Term, authority_terms, term_of
from shared.models import AttendanceAlert, AttendanceImport, School
from shared.queries import attendance as queries
from shared.services.calendar import school_calendar

SHOWN_PROBLEMS = 100
REFRESH_SECONDS = 3
RECENT_FILES = 10


STALE_UPLOAD = "This page was open too long, so the file was not uploaded. Select the file again and upload it."


class UploadForm(CaseworkForm):
    file = FileField("Upload a file of attendance marks")


class ConfirmForm(CaseworkForm):
    action = RadioField(
        "What do you want to do?",
        choices=[
            SelectChoice("skip", "Import the file without the lines that have problems"),
            SelectChoice("discard", "Do not import this file"),
        ],
        validate_choice=False,
    )


def _calendar():
    return school_calendar(db_session())


def _chosen_term(calendar) -> tuple[Term, list[Term]]:
    """The term asked for (`?term=2026-autumn`), else the current term if it has marks, else the latest with marks."""
    session = db_session()
    with_marks = queries.terms_with_marks(session, calendar)
    terms = with_marks or [term_of(uk_today(), calendar)]
    wanted = request.args.get("term", "")
    for term in authority_terms(calendar):
        if term.key == wanted:
            return term, terms if term in terms else [term, *terms]
    current = term_of(uk_today(), calendar)
    return (current if current in terms else terms[0]), terms


def _measured_to(term: Term) -> date:
    """A term is measured to its end, or to today while it is still going on."""
    return min(term.end, uk_today())


@bp.route("/attendance")
@requires(Area.CASEWORK_READ)
def attendance():
    session = db_session()
    calendar = _calendar()
    term, terms = _chosen_term(calendar)
    end = _measured_to(term)
    # Read from the weekly rollups: the page stays quick however many pupils the authority has.
    schools = queries.schools_for_term(session, term, end)
    authority = queries.term_measures(session, term, end)
    return render_template(
        "staff/attendance/overview.html",
        term=term,
        terms=terms,
        end=end,
        authority=authority,
        schools=schools,
        trend=queries.weekly_trend(session, term.start, end),
    )


@bp.route("/attendance/schools/<int:urn>")
@requires(Area.CASEWORK_READ)
def attendance_school(urn: int):
    session = db_session()
    school = session.scalar(select(School).where(School.urn == urn))
    if school is None:
        abort(404)
    calendar = _calendar()
    term, terms = _chosen_term(calendar)
    end = _measured_to(term)
    pupils = under_90 = under_50 = []
    may_see_pupils = may(current_user.role, Area.CASEWORK_WRITE)
    if may_see_pupils:
        pupils = queries.school_pupils(session, school.id, term.start, end)
        under_90, under_50 = queries.pupils_below(pupils, 0.9), queries.pupils_below(pupils, 0.5)
    return render_template(
        "staff/attendance/school.html",
        school=school,
        term=term,
        terms=terms,
        end=end,
        measures=queries.school_measures(session, school.id, term.start, end),
        trend=queries.weekly_trend(session, term.start, end, [school.id]),
        may_see_pupils=may_see_pupils,
        under_90=under_90,
        under_50=under_50,
        back_url=url_for("staff.attendance", term=term.key),
        back_text="All schools",
    )


# Uploading a file -------------------------------------------------------------------------------------------------
# The team uploads files for any school; a school user uploads their own school's (portal/schools/attendance.py),
# through the same two views.


def upload_view(*, school: School | None, import_endpoint: str, back_url: str):
    """The upload page: a CSV stored whole, then checked in the background while its page shows progress."""
    form = UploadForm()

    def page():
        recent = select(AttendanceImport).order_by(AttendanceImport.uploaded_at.desc()).limit(RECENT_FILES)
        if school is not None:
            recent = recent.where(AttendanceImport.school_id == school.id)
        return render_template(
            "staff/attendance/upload.html",
            form=form,
            recent=db_session().scalars(recent).all(),
            import_endpoint=import_endpoint,
            status_labels=jobs.STATUS_LABELS,
            school=school,
            back_url=back_url,
            back_text="Back",
        )

    if request.method == "GET":
        return page()
    if not form.fresh():
        form.form_errors[:] = [STALE_UPLOAD]
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
    session = db_session()
    jobs.purge(session, utcnow())
    record = AttendanceImport(
        reference=new_reference("AF"),
        uploaded_by_id=current_user.id,
        school_id=school.id if school else None,
        file_name=chosen.filename[:255],
        content=content,
        size=len(content),
        status=jobs.CHECKING,
        stage="Waiting to start",
        progress_at=utcnow(),
    )
    session.add(record)
    session.commit()
    jobs.start(current_app._get_current_object(), record, jobs.CHECK)
    return redirect(url_for(import_endpoint, reference=record.reference))


def find_import(reference: str, school_id: int | None = None) -> AttendanceImport:
    """The file with the reference; for a school user, only one of their own school's (another's is not there)."""
    try:
        reference = normalise_reference(reference)
    except InvalidReference:
        abort(404)
    query = select(AttendanceImport).where(AttendanceImport.reference == reference)
    if school_id is not None:
        query = query.where(AttendanceImport.school_id == school_id)
    record = db_session().scalar(query)
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
        if record.status != jobs.CHECKED:  # imported, discarded or running already (a second click): show it
            return redirect(here)
        action = request.form.get("action") if record.problem_count else "import"
        if not form.fresh():
            pass  # the page again, with the message; nothing is done
        elif action not in ("import", "skip", "discard"):
            form.action.errors = ["Select whether to import the file without the lines that have problems"]
        elif action == "discard":
            # Only a file still waiting: one another tab has just sent to be imported is shown as it is.
            session.execute(
                update(AttendanceImport)
                .where(AttendanceImport.id == record.id, AttendanceImport.status == jobs.CHECKED)
                .values(status=jobs.DISCARDED, content=None, stage=None, finished_at=utcnow()),
                execution_options={"synchronize_session": False},
            )
            session.commit()
            return redirect(here)
        else:
            claimed = session.execute(
                update(AttendanceImport)
                .where(AttendanceImport.id == record.id, AttendanceImport.status == jobs.CHECKED)
                .values(
                    status=jobs.IMPORTING,
                    stage="Waiting to start",
                    skip_bad_lines=action == "skip",
                    progress_at=utcnow(),
                ),
                execution_options={"synchronize_session": False},
            )
            session.commit()
            if claimed.rowcount == 1:
                jobs.start(current_app._get_current_object(), record, jobs.IMPORT)
            return redirect(here)
    stalled = jobs.stalled(record)
    alerts = []
    if record.status == jobs.IMPORTED and record.school_id is None:
        alerts = session.scalars(
            select(AttendanceAlert).where(AttendanceAlert.import_id == record.id).order_by(AttendanceAlert.reference)
        ).all()
    return render_template(
        "staff/attendance/import.html",
        record=record,
        form=form,
        jobs=jobs,
        stalled=stalled,
        running=record.status in jobs.RUNNING and not stalled,
        refresh=REFRESH_SECONDS,
        problems=record.problems[:SHOWN_PROBLEMS],
        alerts=alerts,
        here=here,
        upload_url=upload_url,
        done_url=done_url,
        back_url=back_url,
        back_text="Back",
    )


@bp.route("/attendance/upload", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
@csrf.exempt  # the form checks its own token and says what to do when it is stale
def attendance_upload():
    return upload_view(school=None, import_endpoint="staff.attendance_import", back_url=url_for("staff.attendance"))


@bp.route("/attendance/imports/<reference>", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
@csrf.exempt  # the form checks its own token
def attendance_import(reference: str):
    return import_view(
        find_import(reference),
        import_endpoint="staff.attendance_import",
        upload_url=url_for("staff.attendance_upload"),
        back_url=url_for("staff.attendance"),
        done_url=url_for("staff.attendance"),
    )
