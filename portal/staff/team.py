"""The team's pages: assigning a case (the CME lead), everyone's workload, and an officer's own cases."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField, SelectChoice

from portal.database import db_session
from portal.staff.common import STALE_EDIT_MESSAGE, case_or_404, case_settings
from portal.staff.routes import bp
from portal.tasks.work import send_mail_later
from shared.clock import uk_today
from shared.domain.casework import CaseStatus
from shared.domain.problems import Refused
from shared.domain.roles import Area
from shared.domain.vocab import RiskLevel
from shared.queries import team
from shared.services.assignment import assign, caseworkers
from shared.services.cases import StaleEdit
from webcommon.access import requires
from webcommon.forms import BaseForm, radios

NOBODY = "nobody"
DUE_SOON_SCHOOL_DAYS = 5


class AssignForm(BaseForm):
    officer = radios("Who should work on this case?", ())
    version = HiddenField()


def _soon():
    today = uk_today()
    return today, case_settings().calendar.add_school_days(today, DUE_SOON_SCHOOL_DAYS)


@bp.route("/cases/<reference>/assign", methods=["GET", "POST"])
@requires(Area.ASSIGN_CASES)
def assign_case(reference: str):
    case = case_or_404(reference)
    session = db_session()
    people = caseworkers(session)
    today, soon = _soon()
    loads = {row.officer.id: row for row in team.workload(session, people, today, soon) if row.officer}
    if request.method == "POST":
        form = AssignForm()
    else:
        current = str(case.assigned_to_id) if case.assigned_to_id else NOBODY
        form = AssignForm(data={"officer": current, "version": case.version})
    form.officer.choices = [SelectChoice(str(person.id), person.name) for person in people] + [
        SelectChoice(NOBODY, "Nobody for now")
    ]

    def page():
        return render_template("staff/assign.html", form=form, case=case, loads=loads, people=people)

    if request.method == "GET":
        return page()
    chosen = form.officer.data or ""
    if not form.fresh():
        return page()
    if chosen != NOBODY and not (chosen.isascii() and chosen.isdigit() and len(chosen) < 10):  # not "²"
        form.officer.errors = ["Select who should work on this case"]
        return page()
    try:
        message = assign(
            session,
            case,
            current_user,
            version=form.version.data,
            officer_id=None if chosen == NOBODY else int(chosen),
            service_url=current_app.config["SERVICE_URL"],
        )
    except StaleEdit:
        form.refuse(STALE_EDIT_MESSAGE)
        form.version.data = case.version
        return page()
    except Refused as refused:
        form.show(refused.problems)
        return page()
    if message is not None:
        send_mail_later((message.id,))
    flash(
        f"Case {case.reference}: " + (f"assigned to {case.assigned_to.name}" if case.assigned_to else "not assigned"),
        "success",
    )
    if request.args.get("next") == "workload":
        return redirect(url_for("staff.workload"))
    return redirect(url_for("staff.case", reference=case.reference))


@bp.route("/workload")
@requires(Area.CASEWORK_READ)
def workload():
    session = db_session()
    today, soon = _soon()
    rows = team.workload(session, caseworkers(session), today, soon)
    return render_template(
        "staff/workload.html",
        rows=rows,
        unassigned=team.open_cases(session, None),
        statuses=[status for status in CaseStatus if status != CaseStatus.CLOSED],
        soon=soon,
        today=today,
    )


@bp.route("/my-cases")
@requires(Area.CASEWORK_READ)
def my_cases():
    today = uk_today()
    cases = team.open_cases(db_session(), current_user.id)
    rows = []
    for case in cases:
        open_checks = [check for check in case.enquiries if check.is_open]
        overdue = sum(1 for check in open_checks if check.due_on < today)
        next_due = min((check.due_on for check in open_checks), default=None)
        rows.append((case, overdue, next_due))
    rows.sort(key=lambda row: (-row[1], row[2] or today.max, row[0].reference))
    return render_template("staff/my_cases.html", rows=rows, today=today, statuses=CaseStatus, risks=RiskLevel)
