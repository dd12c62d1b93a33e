from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.database import db_session
from portal.schools.forms import NoticeForm
from portal.settings import authority_settings
from portal.summaries.notice import notice_rows
from portal.tasks.work import send_mail_later
from shared import queries
from shared.clock import uk_today, utcnow
from shared.domain.notices import GROUNDS
from shared.domain.roles import Area
from shared.domain.vocab import NoticeKind, NoticeStatus
from shared.services import notices as notice_service
from shared.services.calendar import school_calendar
from webcommon.access import requires
from webcommon.forms import held

bp = Blueprint("schools", __name__, url_prefix="/schools")


@bp.route("/")
@requires(Area.SCHOOL_NOTICES)
def home():
    """The school's notices, newest first, narrowed by the filters in the query string. A filter value that is not
    one of the options (an edited link) is ignored rather than refused."""
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    filters = {
        "kind": kind if kind in dict(NoticeKind.choices()) else "",
        "status": status if status in dict(NoticeStatus.choices()) else "",
        "q": request.args.get("q", "").strip()[:100],
    }
    page = request.args.get("page", "1")
    found = queries.school_notices(
        db_session(),
        current_user.school_id,
        kind=filters["kind"],
        status=filters["status"],
        text=filters["q"],
        page=int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1,  # isdigit() takes "²"
    )
    return render_template(
        "schools/home.html",
        school=current_user.school,
        found=found,
        filters=filters,
        filtered=any(filters.values()),
        query={name: value for name, value in filters.items() if value},  # for the page links
        kinds=NoticeKind,
        statuses=NoticeStatus,
    )


def _kind(value: str) -> NoticeKind:
    try:
        return NoticeKind(value.replace("-", "_"))
    except ValueError:
        abort(404)


def _allowed_kinds() -> list[NoticeKind]:
    """Independent schools send admissions; others send the rest."""
    if current_user.school.is_independent:
        return [NoticeKind.INDEPENDENT_ADMISSION, NoticeKind.LEAVER, NoticeKind.ABSENCE]
    return [NoticeKind.JOINER, NoticeKind.LEAVER, NoticeKind.PART_TIME, NoticeKind.ABSENCE]


@bp.route("/notices/new", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def choose_notice():
    kinds = _allowed_kinds()
    chosen = request.form.get("kind", "")
    error = held()  # the choice only leads to its form, but a page held back goes nowhere
    if error is None and request.method == "POST":
        if chosen in kinds:
            return redirect(url_for("schools.new_notice", kind=chosen.replace("_", "-")))
        error = "Select the kind of notice you want to send"
    return render_template("schools/choose_notice.html", kinds=kinds, error=error, chosen=chosen)


@bp.route("/notices/new/<kind>", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def new_notice(kind: str):
    kind = _kind(kind)
    if kind not in _allowed_kinds():
        abort(404)
    form = NoticeForm(kind)
    if request.method == "GET":
        return render_template("schools/notice_form.html", form=form, kind=kind, grounds=GROUNDS)
    action = request.form.get("action", "check")
    form.validate()  # the token (a stale one gives the page's message) and the date boxes; the rest is the domain's
    checked, problems = form.check(uk_today())
    if held() or problems or action == "change":
        form.show(problems if action != "change" else [])
        return render_template("schools/notice_form.html", form=form, kind=kind, grounds=GROUNDS)
    if action != "send":
        return render_template("schools/check_notice.html", form=form, kind=kind)
    sent = notice_service.send_notices(
        db_session(),
        current_user.school,
        current_user,
        [checked],
        utcnow(),
        uk_today(),
        school_calendar(db_session()).add_school_days,
        current_app.config["SERVICE_URL"],
        submission_key=form.submission_key.data,
        absence_is_cme=authority_settings().long_absence_is_cme,
    )
    send_mail_later(sent.outbox_ids)
    flash(f"Notice sent. Its reference is {sent.references[0]}", "success")
    return redirect(url_for("schools.notice", reference=sent.references[0]))


@bp.route("/notices/<reference>")
@requires(Area.SCHOOL_NOTICES)
def notice(reference: str):
    found = queries.school_notice(db_session(), current_user.school_id, reference.upper())
    if found is None:
        abort(404)
    return render_template(
        "schools/notice.html", notice=found, kinds=NoticeKind, rows_of_notice=notice_rows(found, names=True)
    )  # the school's own pupil
