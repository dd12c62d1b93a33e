"""Pages that move a case along its states: choose a move, wait for another authority and record its reply, place
the child in a school, close with an outcome, reopen. Thin views over `shared.services.closure`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from portal.database import db_session
from portal.settings import authority_settings
from portal.staff.closure_forms import (
    CloseForm,
    MoveForm,
    PlacementForm,
    ReopenForm,
    ReplyForm,
    WaitingForm,
    school_choices,
)
from portal.staff.common import STALE_EDIT_MESSAGE, case_or_404, case_settings
from portal.staff.routes import bp
from shared.clock import uk_today
from shared.domain.casework import CaseStatus
from shared.domain.closure import (
    MOVES,
    Closing,
    Placement,
    Waiting,
    closing_problems,
    placement_problems,
    reason_problems,
    waiting_problems,
)
from shared.domain.problems import Refused
from shared.domain.roles import Area
from shared.domain.vocab import CheckType, Outcome
from shared.models import Case, Enquiry
from shared.services import closure
from shared.services.cases import StaleEdit
from shared.services.schools import schools_for_picker
from webcommon.access import requires

_PAGES = {
    CaseStatus.WAITING_OTHER_LA: "staff.other_authority",
    CaseStatus.MONITORING: "staff.place_case",
    CaseStatus.CLOSED: "staff.close_case",
}


def _to_case(case: Case, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("staff.case", reference=case.reference))


def _page(template: str, form, case: Case, heading: str, button: str, **extra):
    return render_template(template, form=form, case=case, heading=heading, button=button, **extra)


def _refused(form, error: Exception, case: Case) -> None:
    """Show why the move was refused; a stale edit also gives the form the case's current version."""
    if isinstance(error, StaleEdit):
        form.refuse(STALE_EDIT_MESSAGE)
        form.version.data = case.version
    else:
        form.show(error.problems)


def _check_label(check: Enquiry) -> str:
    label = CheckType(check.check_type).label
    return f"{label} ({check.other_authority})" if check.other_authority else label


def _schools():
    return schools_for_picker(db_session(), [authority_settings().authority_la_code])


def _not_writable(case: Case):
    """A closed case can only be reopened."""
    if case.status == CaseStatus.CLOSED:
        return _to_case(case, "This case is closed. Reopen it first", "important")
    return None


@bp.route("/cases/<reference>/status", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def case_status(reference: str):
    case = case_or_404(reference)
    moves = MOVES[CaseStatus(case.status)]
    reason_needed = case.status in (CaseStatus.WAITING_OTHER_LA, CaseStatus.MONITORING)
    form = MoveForm() if request.method == "POST" else MoveForm(data={"version": case.version})
    form.move.choices = [SelectChoice(status.value, label) for status, label in moves]

    def page():
        return _page(
            "staff/closure/status.html",
            form,
            case,
            "Change the case's status",
            "Continue",
            status_label=CaseStatus(case.status).label,
            reason_needed=reason_needed,
            waiting=closure.waiting_check(case) if case.status == CaseStatus.WAITING_OTHER_LA else None,
        )

    if request.method == "GET":
        return page()
    chosen = form.move.data
    if not form.fresh() or chosen not in {status.value for status, _ in moves}:
        if chosen not in {status.value for status, _ in moves}:
            form.move.errors = ["Select what happens next"]
        return page()
    if case.status == CaseStatus.CLOSED:
        return redirect(url_for("staff.reopen_case", reference=case.reference))
    if chosen in _PAGES:
        return redirect(url_for(_PAGES[CaseStatus(chosen)], reference=case.reference))
    try:
        closure.start_enquiries(db_session(), case, current_user, version=form.version.data, reason=form.reason.data)
    except (StaleEdit, Refused) as error:
        _refused(form, error, case)
        return page()
    return _to_case(case, "Enquiries started" if not reason_needed else "Back to making enquiries")


@bp.route("/cases/<reference>/other-authority", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def other_authority(reference: str):
    case = case_or_404(reference)
    if (closed := _not_writable(case)) is not None:
        return closed
    today = uk_today()
    form = WaitingForm() if request.method == "POST" else WaitingForm(data={"version": case.version})

    def page():
        return _page(
            "staff/closure/form.html",
            form,
            case,
            "Wait for another local authority",
            "Save and wait for the reply",
            fields=[form.authority, form.direction, form.sent_on, form.due_on],
        )

    if request.method == "GET":
        return page()
    answers = Waiting(form.authority.data, form.direction.data, form.sent_on.data, form.due_on.data)
    if not form.fresh():
        form.show(waiting_problems(answers, today))
        return page()
    try:
        check = closure.wait_for_other_authority(
            db_session(), case, current_user, today, case_settings(), version=form.version.data, answers=answers
        )
    except (StaleEdit, Refused) as error:
        _refused(form, error, case)
        return page()
    return _to_case(case, f"Waiting for {check.other_authority} to reply")


@bp.route("/cases/<reference>/other-authority/reply", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def other_authority_reply(reference: str):
    case = case_or_404(reference)
    waiting = closure.waiting_check(case)
    if case.status != CaseStatus.WAITING_OTHER_LA or waiting is None:
        return _to_case(case, "This case is not waiting for another authority", "important")
    today = uk_today()
    form = ReplyForm() if request.method == "POST" else ReplyForm(data={"version": case.version})

    def page():
        return _page(
            "staff/closure/form.html",
            form,
            case,
            f"Reply from {waiting.other_authority}",
            "Save the reply",
            fields=[form.confirmed, form.answered_on, form.answer],
        )

    if request.method == "GET":
        return page()
    if not form.fresh():
        return page()
    try:
        closure.record_other_authority_reply(
            db_session(),
            case,
            current_user,
            today,
            version=form.version.data,
            confirmed=form.confirmed_answer,
            answered_on=form.answered_on.data,
            answer=form.answer.data,
        )
    except (StaleEdit, Refused) as error:
        _refused(form, error, case)
        return page()
    if form.confirmed_answer:
        flash(f"{waiting.other_authority} knows the child: close the case with its outcome", "success")
        return redirect(url_for("staff.close_case", reference=case.reference, outcome=Outcome.MOVED_TO_OTHER_LA))
    return _to_case(case, f"{waiting.other_authority} does not know the child: back to making enquiries")


@bp.route("/cases/<reference>/placement", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def place_case(reference: str):
    case = case_or_404(reference)
    if (closed := _not_writable(case)) is not None:
        return closed
    today, settings = uk_today(), case_settings()
    if request.method == "POST":
        form = PlacementForm()
    else:
        review = settings.calendar.add_school_days(today, settings.monitoring_review_days)
        form = PlacementForm(data={"version": case.version, "review_date": review})
    form.school.choices = school_choices(_schools())

    def page():
        return _page(
            "staff/closure/form.html",
            form,
            case,
            "The child has a school place",
            "Save and monitor attendance",
            fields=[form.school, form.on_roll_from, form.review_date],
        )

    if request.method == "GET":
        return page()
    answers = Placement(form.school_id, form.on_roll_from.data, form.review_date.data)
    if not form.fresh():
        form.show(placement_problems(answers, today))
        return page()
    try:
        closure.place_in_school(db_session(), case, current_user, today, version=form.version.data, answers=answers)
    except (StaleEdit, Refused) as error:
        _refused(form, error, case)
        return page()
    return _to_case(case, f"Placed at {case.placed_school.name}: monitoring attendance")


def _closing_answers(form: CloseForm) -> Closing:
    return Closing(
        outcome=form.outcome.data,
        on=form.on.data,
        school_id=form.school_id,
        authority=form.authority.data,
        country=form.country.data,
        referred_to=form.referred_to.data,
        justification=form.justification.data,
    )


@bp.route("/cases/<reference>/close", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def close_case(reference: str):
    case = case_or_404(reference)
    if case.status == CaseStatus.CLOSED:
        return _to_case(case, "This case is already closed", "important")
    today = uk_today()
    if request.method == "POST":
        form = CloseForm()
    else:
        prefill = {"version": case.version, "outcome": request.args.get("outcome")}
        if case.status == CaseStatus.MONITORING and case.placed_school_id:
            prefill |= {"outcome": Outcome.ON_ROLL, "school": str(case.placed_school_id)}
        waited = [check for check in case.enquiries if check.other_authority and check.result == "located"]
        if prefill["outcome"] == Outcome.MOVED_TO_OTHER_LA and waited:
            prefill["authority"] = waited[-1].other_authority
        form = CloseForm(data=prefill)
    form.school.choices = school_choices(_schools())
    still_open = closure.open_checks(case)

    def page():
        return _page(
            "staff/closure/close.html",
            form,
            case,
            "Close the case",
            "Close the case",
            open_checks=still_open,
            check_label=_check_label,
        )

    if request.method == "GET":
        return page()
    answers = _closing_answers(form)
    if not form.fresh():
        form.show(closing_problems(answers, today, len(still_open), case.child.date_of_birth))
        return page()
    try:
        closure.close_case(db_session(), case, current_user, today, version=form.version.data, answers=answers)
    except (StaleEdit, Refused) as error:
        _refused(form, error, case)
        return page()
    return _to_case(case, "Case closed: " + Outcome(case.outcome).label)


@bp.route("/cases/<reference>/reopen", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def reopen_case(reference: str):
    case = case_or_404(reference)
    if case.status != CaseStatus.CLOSED:
        return _to_case(case, "This case is open", "important")
    form = ReopenForm() if request.method == "POST" else ReopenForm(data={"version": case.version})

    def page():
        return _page("staff/closure/form.html", form, case, "Reopen the case", "Reopen the case", fields=[form.reason])

    if request.method == "GET":
        return page()
    if not form.fresh():
        form.show(reason_problems(form.reason.data, "why the case is reopened"))
        return page()
    try:
        closure.reopen_case(db_session(), case, current_user, version=form.version.data, reason=form.reason.data)
    except (StaleEdit, Refused) as error:
        _refused(form, error, case)
        return page()
    return _to_case(case, "Case reopened: making enquiries")
