from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal.auth.permissions import requires
from portal.database import db_session
from portal.referral import summary
from portal.schools.summary import notice_rows
from shared import queries
from shared.clock import uk_today
from shared.domain.casework import CaseStatus
from shared.domain.reference import InvalidReference, normalise_reference
from shared.domain.roles import Area
from shared.domain.vocab import NoticeKind, ReferralSource, ReferralStatus

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
        statuses=list(CaseStatus),
    )


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
        sections=summary.sections(found.answers or {}, uk_today(), reporter=False),
        additions=queries.referral_additions(session, found.id),
        source=_label(ReferralSource, found.source),
        status=_label(ReferralStatus, found.status),
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
        "staff/school_notice.html", notice=found, kinds=NoticeKind, rows_of_notice=notice_rows(found, school=True)
    )


def _label(vocabulary, value: str) -> str:
    try:
        return vocabulary(value).label
    except ValueError:
        return value
