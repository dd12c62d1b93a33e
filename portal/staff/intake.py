"""The CME team's intake: the queue of everything waiting for a decision (referrals, school notices and attendance
alerts), and triage of each item (which child it is about, then a new case, the child's open case, or closing it
with a reason). Every staff role reads them and each look is audited; deciding is for officers, the lead and admins
(a manager sees the page without the form)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.database import db_session
from portal.settings import authority_settings
from portal.staff.common import case_settings
from portal.staff.intake_forms import ACTION_LABELS, TriageForm, case_label
from portal.staff.routes import bp
from portal.summaries import report as summary
from portal.summaries.notice import notice_rows
from shared.clock import UK, long_date, uk_today
from shared.domain.attendance import in_school_days
from shared.domain.reference import InvalidReference, normalise_reference
from shared.domain.roles import Area, may
from shared.domain.vocab import NoticeKind, NoticeStatus, ReferralSource, ReferralStatus, RiskLevel
from shared.models import AttendanceAlert, Referral, SchoolNotice
from shared.queries import intake as queries
from shared.queries.intake import QueueSource, QueueStatus
from shared.reference_data import primary_reason_label
from shared.services import intake as triage_service
from shared.services.intake import AlreadyTriaged, TriageProblems, is_waiting, match_band
from shared.services.schools import schools_for_picker
from webcommon.access import requires

STATUS_TAGS = {
    QueueStatus.NEW: "govuk-tag--blue",
    QueueStatus.IN_TRIAGE: "govuk-tag--yellow",
    QueueStatus.FOR_CME: "govuk-tag--blue",
}
BAND_TAGS = {"Strong match": "govuk-tag--green", "Possible match": "govuk-tag--yellow", "Weak match": "govuk-tag--grey"}


def _label(vocabulary, value: str | None) -> str:
    try:
        return vocabulary(value).label
    except ValueError:
        return value or ""


def _page_number(value: str) -> int:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else 1


def run_text(start, sessions: int) -> str:
    """ "10 school days of unexplained absence since 3 November 2026"."""
    return f"{in_school_days(sessions)} of unexplained absence since {long_date(start)}"


# The queue --------------------------------------------------------------------------------------------------------


@bp.route("/intake")
@requires(Area.CASEWORK_READ)
def intake():
    """Referrals, school notices and attendance alerts waiting for a decision, urgent first, then oldest first,
    narrowed by source and status. A filter value that is not one of the options (an edited link) is ignored."""
    sources = [value for value in request.args.getlist("source") if value in set(QueueSource)]
    statuses = [value for value in request.args.getlist("status") if value in set(QueueStatus)]
    # Where long absence is not missing education here, attendance alerts are the attendance team's, not the queue's.
    with_alerts = authority_settings().long_absence_is_cme
    found = queries.intake_queue(
        db_session(),
        sources=sources,
        statuses=statuses,
        page=_page_number(request.args.get("page", "1")),
        with_alerts=with_alerts,
    )
    calendar, today = case_settings().calendar, uk_today()
    ages = {
        row.reference: calendar.working_days_between(row.received_at.astimezone(UK).date(), today) for row in found.rows
    }
    return render_template(
        "staff/intake.html",
        found=found,
        ages=ages,
        sources=sources,
        statuses=statuses,
        filtered=bool(sources or statuses),
        query={"source": sources, "status": statuses},
        source_options=[source for source in QueueSource if with_alerts or source != QueueSource.ATTENDANCE_ALERT],
        status_options=list(QueueStatus),
        status_tags=STATUS_TAGS,
        notice_kind=lambda code: _label(NoticeKind, code),
        source_label=lambda code: _label(ReferralSource, code),
        status_label=lambda code: _label(QueueStatus, code),
        run_text=run_text,
        triage_endpoints=TRIAGE_ENDPOINTS,
    )


# Triage -----------------------------------------------------------------------------------------------------------


def _reference_or_404(reference: str) -> str:
    try:
        return normalise_reference(reference)
    except InvalidReference:
        abort(404)


def _referral_or_404(reference: str) -> Referral:
    found = queries.referral_for_triage(db_session(), _reference_or_404(reference))
    if found is None:
        abort(404)
    return found


def _alert_or_404(reference: str) -> AttendanceAlert:
    found = queries.alert_for_triage(db_session(), _reference_or_404(reference))
    if found is None:
        abort(404)
    return found


def _notice_or_404(reference: str) -> SchoolNotice:
    found = queries.notice_for_triage(db_session(), _reference_or_404(reference))
    if found is None or not found.routed_to_cme:
        abort(404)  # a notice the team never had (a joiner, a part-time timetable) is not theirs to triage
    return found


# Each kind of item: its triage page's endpoint (by the queue's ItemKind), its noun and its title.
TRIAGE_ENDPOINTS = {"referral": "staff.triage_referral", "notice": "staff.triage_notice", "alert": "staff.triage_alert"}
_KIND_OF = {Referral: "referral", SchoolNotice: "notice", AttendanceAlert: "alert"}
_NOUNS = {"referral": "referral", "notice": "school notice", "alert": "attendance alert"}


def _triage_url(item) -> str:
    return url_for(TRIAGE_ENDPOINTS[_KIND_OF[type(item)]], reference=item.reference)


def _schools():
    return schools_for_picker(db_session(), [authority_settings().authority_la_code])


def _choices(item, form: TriageForm | None):
    """What the page proposes: the children matching found, each with their open cases, and the schools."""
    session = db_session()
    candidates = triage_service.proposed_children(session, item) if is_waiting(item) else []
    open_cases = queries.open_cases_by_child(session, [found.child.id for found in candidates])
    schools = _schools() if form is not None else []
    if form is not None:
        several = {child_id: cases for child_id, cases in open_cases.items() if len(cases) > 1}
        form.offer(_noun(item), candidates, several, schools)
    return candidates, open_cases, schools


def _noun(item) -> str:
    return _NOUNS[_KIND_OF[type(item)]]


def _alert_rows(alert: AttendanceAlert) -> list[tuple[str, str]]:
    """What the team reads of an alert: the school, the run as it was when raised and how it stands now, and the
    pupil as the school's file gave them."""
    rows = [
        ("School", f"{alert.school.name} (URN {alert.school.urn})"),
        ("Unexplained absence", run_text(alert.run_start, alert.sessions)),
    ]
    pupil = alert.pupil
    if pupil.current_run_start == alert.run_start and pupil.current_run_sessions:
        now = f"Still absent without a reason: {in_school_days(pupil.current_run_sessions)}"
        rows.append(
            ("Since the alert", now + (f" by {long_date(pupil.last_marked_on)}" if pupil.last_marked_on else ""))
        )
    elif pupil.last_marked_on:
        rows.append(
            ("Since the alert", f"The run has ended: the latest marks are from {long_date(pupil.last_marked_on)}")
        )
    rows += [
        ("Pupil’s name", f"{alert.pupil_first_name} {alert.pupil_last_name}"),
        ("Date of birth", long_date(alert.pupil_date_of_birth)),
        ("UPN", alert.upn),
        ("Raised", long_date(alert.raised_at)),
    ]
    return rows


_NEW_CHILD_HINTS = {
    "referral": "Made from the referral’s details: name, date of birth, sex, address and carers where given",
    "notice": "Made from the school notice’s details: name, date of birth, sex, address, UPN and carers where given",
    "alert": "Made from the attendance alert’s details: name, date of birth, UPN and the school",
}


def _new_case_preview(item, today) -> dict:
    """What a case opened from this item starts with, in words."""
    defaults = triage_service.new_case_defaults(item, today)
    return {
        "risk": _label(RiskLevel, defaults.risk_level),
        "missing_since": defaults.missing_since,
        "primary_reason": primary_reason_label(defaults.primary_reason),
    }


def _page(item, form: TriageForm | None, candidates, open_cases, status: int = 200):
    today = uk_today()
    kind = _KIND_OF[type(item)]
    if kind == "referral":
        details = {
            "sections": summary.sections(item.answers or {}, today, reporter=False),
            "source": _label(ReferralSource, item.source),
            "status": _label(ReferralStatus, item.status),
        }
    elif kind == "alert":
        details = {"item_rows": _alert_rows(item)}
    else:
        details = {"item_rows": notice_rows(item, school=True), "kind_label": _label(NoticeKind, item.kind)}
    context = {
        "item": item,
        "kind": kind,
        "is_referral": kind == "referral",
        "noun": _noun(item),
        "new_child_hint": _NEW_CHILD_HINTS[kind],
        "waiting": is_waiting(item),
        "candidates": candidates,
        "open_cases": open_cases,
        "band": match_band,
        "band_tags": BAND_TAGS,
        "preview": _new_case_preview(item, today),
        "action_labels": ACTION_LABELS,
        "case_label": case_label,
        "status_label": _label(NoticeStatus if kind == "notice" else ReferralStatus, item.status),
        **details,
    }
    if form is not None:
        context["form"] = form
    return render_template("staff/triage.html", **context), status


def _show(item):
    session = db_session()
    may_triage = may(current_user.role, Area.CASEWORK_WRITE)
    triage_service.record_look(session, item, current_user, may_triage and is_waiting(item))
    form = TriageForm(formdata=None) if may_triage and is_waiting(item) else None
    candidates, open_cases, _ = _choices(item, form)
    if form is not None and isinstance(item, AttendanceAlert):
        # The pupil is on the school's roll, and the import may know the child: both chosen, to be checked.
        form.school.data = str(item.school.urn)
        if item.child_id is not None and any(found.child.id == item.child_id for found in candidates):
            form.child.data = str(item.child_id)
    return _page(item, form, candidates, open_cases)


def _decide(item):
    session = db_session()
    if not is_waiting(item):
        return _already(item)
    form = TriageForm()
    candidates, open_cases, schools = _choices(item, form)
    if not form.fresh():
        form.show(triage_service.decision_problems(session, item, form.decision(), candidates, schools))
        return _page(item, form, candidates, open_cases)
    try:
        done = triage_service.triage(
            session,
            item,
            form.decision(),
            current_user,
            today=uk_today(),
            settings=case_settings(),
            schools=schools,
            candidates=candidates,
        )
    except AlreadyTriaged:
        return _already(item)
    except TriageProblems as refused:
        form.show(refused.problems)
        return _page(item, form, candidates, open_cases)
    noun = _noun(item)
    title = f"{noun[:1].upper()}{noun[1:]} {item.reference}"
    if done.new_case:
        flash(
            f"Case {done.case.reference} opened for {done.child.full_name} from {title[:1].lower()}{title[1:]}",
            "success",
        )
    elif done.case is not None:
        flash(f"{title} added to case {done.case.reference}", "success")
    else:
        flash(f"{title} closed without a case: {item.closed_reason}", "success")
        return redirect(url_for("staff.intake"))
    return redirect(url_for("staff.case", reference=done.case.reference))


def _already(item):
    flash(str(AlreadyTriaged(item)), "important")
    return redirect(_triage_url(item))


@bp.route("/intake/referrals/<reference>", endpoint="triage_referral")
@requires(Area.CASEWORK_READ)
def triage_referral(reference: str):
    return _show(_referral_or_404(reference))


@bp.route("/intake/referrals/<reference>", methods=["POST"], endpoint="decide_referral")
@requires(Area.CASEWORK_WRITE)
def decide_referral(reference: str):
    return _decide(_referral_or_404(reference))


@bp.route("/intake/notices/<reference>", endpoint="triage_notice")
@requires(Area.CASEWORK_READ)
def triage_notice(reference: str):
    return _show(_notice_or_404(reference))


@bp.route("/intake/notices/<reference>", methods=["POST"], endpoint="decide_notice")
@requires(Area.CASEWORK_WRITE)
def decide_notice(reference: str):
    return _decide(_notice_or_404(reference))


@bp.route("/intake/alerts/<reference>", endpoint="triage_alert")
@requires(Area.CASEWORK_READ)
def triage_alert(reference: str):
    return _show(_alert_or_404(reference))


@bp.route("/intake/alerts/<reference>", methods=["POST"], endpoint="decide_alert")
@requires(Area.CASEWORK_WRITE)
def decide_alert(reference: str):
    return _decide(_alert_or_404(reference))
