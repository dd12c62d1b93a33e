"""Attendance pages for the CME team: the authority's and each school's measures for a term, the pupils under 90%
and under 50% attendance (only for the roles that may see pupils' names), and uploading a file of marks, checked and
imported in the background with its progress shown."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request, url_for
from flask_login import current_user

from portal.attendance.files import find_import, import_view, upload_view
from portal.database import db_session
from portal.staff.routes import bp
from shared.clock import uk_today
from shared.domain.roles import Area, may_see_names
from shared.domain.terms import Term, authority_terms, term_of
from shared.queries import attendance as queries
from shared.queries import school_by_urn
from shared.services.calendar import school_calendar
from webcommon.access import requires


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
    school = school_by_urn(session, urn)
    if school is None:
        abort(404)
    calendar = _calendar()
    term, terms = _chosen_term(calendar)
    end = _measured_to(term)
    pupils = under_90 = under_50 = []
    may_see_pupils = may_see_names(current_user.role)
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


@bp.route("/attendance/upload", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def attendance_upload():
    return upload_view(school=None, import_endpoint="staff.attendance_import", back_url=url_for("staff.attendance"))


@bp.route("/attendance/imports/<reference>", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def attendance_import(reference: str):
    return import_view(
        find_import(reference),
        import_endpoint="staff.attendance_import",
        upload_url=url_for("staff.attendance_upload"),
        back_url=url_for("staff.attendance"),
        done_url=url_for("staff.attendance"),
    )
