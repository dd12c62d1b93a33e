from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from portal.database import db_session
from portal.settings import authority_settings
from portal.summaries import report as summary
from portal.summaries.notice import notice_rows
from shared import queries
from shared.clock import uk_today
from shared.domain.casework import CaseStatus
from shared.domain.reference import InvalidReference, normalise_reference
from shared.domain.roles import Area, Role, may_see_names
from shared.domain.term_dates import coming_term_warning
from shared.domain.terms import return_schedule
from shared.domain.vocab import NoticeKind, ReferralSource, ReferralStatus, label_of
from shared.queries import intake as intake_queries
from shared.services.calendar import school_calendar
from webcommon.access import requires

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@requires(Area.CASEWORK_READ)
def home():
    session = db_session()
    today = uk_today()
    return render_template(
        "staff/home.html",
        overview=queries.overview(session, today),
        mine=queries.workload(session, today, current_user.id),
        part_time=queries.current_part_time_count(session),
        waiting=intake_queries.waiting_count(
            session, intake_queries.kinds_in_queue(authority_settings().long_absence_is_cme)
        ),
        statuses=list(CaseStatus),
        term_dates_warning=_term_dates_warning(session, today),
    )


def _term_dates_warning(session, today):
    """The lead and admins are told when the coming term has no dates (the admins add them)."""
    if current_user.role not in (Role.LEAD, Role.ADMIN):
        return None
    return coming_term_warning(school_calendar(session).terms, today)


@bp.route("/referrals")
@requires(Area.CASEWORK_READ)
def referrals():
    return render_template("staff/referrals.html", referrals=queries.new_referrals(db_session()))


@bp.route("/referrals/<reference>")
@requires(Area.CASEWORK_READ)
def referral(reference: str):
    try:
        reference = normalise_reference(reference)
    except InvalidReference:
        abort(404)
    session = db_session()
    found = queries.referral_by_reference(session, reference)
    if found is None:
        abort(404)
    return render_template(
        "staff/referral.html",
        referral=found,
        sections=summary.sections(
            found.answers or {}, uk_today(), reporter=False, names=may_see_names(current_user.role)
        ),
        additions=queries.referral_additions(session, found.id),
        source=label_of(ReferralSource, found.source),
        status=label_of(ReferralStatus, found.status),
    )


@bp.route("/school-notices")
@requires(Area.CASEWORK_READ)
def school_notices():
    return render_template("staff/school_notices.html", notices=queries.notices_for_cme(db_session()), kinds=NoticeKind)


@bp.route("/school-notices/<reference>")
@requires(Area.CASEWORK_READ)
def school_notice(reference: str):
    try:
        reference = normalise_reference(reference)
    except InvalidReference:
        abort(404)
    found = queries.notice_by_reference(db_session(), reference)
    if found is None:
        abort(404)
    return render_template(
        "staff/school_notice.html",
        notice=found,
        kinds=NoticeKind,
        rows_of_notice=notice_rows(found, school=True, names=may_see_names(current_user.role)),
    )


@bp.route("/part-time-timetables")
@requires(Area.CASEWORK_READ)
def part_time_timetables():
    """Pupils on part-time timetables across the authority's schools, and which schools have made this term's
    return of them."""
    session, today = db_session(), uk_today()
    days = current_app.config["TIMETABLE_RETURN_REMINDER_SCHOOL_DAYS"]
    schedule = return_schedule(today, school_calendar(session), days)
    returns = queries.timetable_returns(session, schedule.term.key)
    return render_template(
        "staff/part_time_timetables.html",
        timetables=queries.current_part_time_timetables(session),
        returns=returns,
        made=sum(1 for row in returns if row.made),
        schedule=schedule,
        today=today,
    )
