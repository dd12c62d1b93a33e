"""A case's page (the child, the case, its checks and one timeline of everything), a child's page, and the forms
that change them: the case's details, the child's details, checks and contacts. Reading is for every staff role
and each look is audited; changing is for officers, the lead and admins (managers read only)."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.database import db_session
from portal.staff.case_forms import (
    AddCheckForm,
    CaseDetailsForm,
    ChildDetailsForm,
    ContactForm,
    NotApplicableForm,
    RecordCheckForm,
    stale_message,
)
from portal.staff.common import case_or_404, case_settings
from portal.staff.routes import bp
from shared.clock import UK, long_date, uk_now, uk_today
from shared.domain.casework import CaseStatus
from shared.domain.checks import (
    CLOSED_CASE,
    adding_problems,
    check_label,
    contact_problems,
    not_applicable_problems,
    recording_problems,
)
from shared.domain.enquiries import due_school_days
from shared.domain.problems import Refused
from shared.domain.roles import Area
from shared.domain.school_age import age_on, is_compulsory_school_age, national_curriculum_year, year_group_label
from shared.domain.vocab import (
    CheckResult,
    CheckStatus,
    CheckType,
    ContactKind,
    NoticeKind,
    ReferralStatus,
    RiskLevel,
    SendStatus,
    Sex,
    VulnerableGroup,
    label_of,
)
from shared.models import Case, Child, Enquiry
from shared.queries import attendance as attendance_queries
from shared.queries import cases as case_queries
from shared.reference_data import primary_reason_label
from shared.services import case_details as records
from shared.services import checks as check_service
from shared.services.case_details import ChildAnswers
from shared.services.cases import StaleEdit
from webcommon.access import requires

# How each status and risk level is tagged (GOV.UK tag colours).
STATUS_TAGS = {
    CaseStatus.OPEN: "govuk-tag--blue",
    CaseStatus.ENQUIRIES: "govuk-tag--light-blue",
    CaseStatus.WAITING_OTHER_LA: "govuk-tag--yellow",
    CaseStatus.MONITORING: "govuk-tag--green",
    CaseStatus.CLOSED: "govuk-tag--grey",
}
RISK_TAGS = {RiskLevel.LOW: "govuk-tag--grey", RiskLevel.MEDIUM: "govuk-tag--orange", RiskLevel.HIGH: "govuk-tag--red"}
CHECK_TAGS = {
    CheckStatus.TO_DO: "govuk-tag--grey",
    CheckStatus.ASKED: "govuk-tag--blue",
    CheckStatus.DONE: "govuk-tag--green",
    CheckStatus.NOT_APPLICABLE: "govuk-tag--grey",
}


def moment(value: datetime) -> str:
    """A moment as GOV.UK writes it, in England's time: "3 November 2026, 2:15pm"."""
    when = value.astimezone(UK)
    return f"{long_date(when)}, {when:%-I:%M}{'am' if when.hour < 12 else 'pm'}"


def born(child: Child, today: date) -> str:
    """The child's date of birth with their age and year group today, and whether they are of compulsory school
    age."""
    if child.date_of_birth is None:
        return "Not known"
    dob = child.date_of_birth
    shown = f"{long_date(dob)} (age {age_on(dob, today)}, {year_group_label(national_curriculum_year(dob, today))})"
    if not is_compulsory_school_age(dob, today):
        shown += ": not of compulsory school age"
    return shown


def address_lines(child: Child) -> list[str]:
    return [part for part in (child.address_line_1, child.address_line_2, child.town, child.postcode) if part]


def _page_helpers() -> dict:
    return {
        "moment": moment,
        "born": born,
        "address_lines": address_lines,
        "label": lambda vocabulary, code, missing="Not known": label_of(vocabulary, code, missing),
        "statuses": CaseStatus,
        "status_tags": STATUS_TAGS,
        "risk_tags": RISK_TAGS,
        "check_tags": CHECK_TAGS,
        "risk_levels": RiskLevel,
        "check_statuses": CheckStatus,
        "check_results": CheckResult,
        "send_statuses": SendStatus,
        "sexes": Sex,
        "groups": VulnerableGroup,
        "notice_kinds": NoticeKind,
        "referral_statuses": ReferralStatus,
        "reason_label": primary_reason_label,
        "today": uk_today(),
    }


def _back_to_case(case: Case, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("staff.case", reference=case.reference))


def _check_or_404(case: Case, check_id: int) -> Enquiry:
    found = case_queries.case_check(db_session(), case, check_id)
    if found is None:
        abort(404)
    return found


def _closed(case: Case):
    return _back_to_case(case, CLOSED_CASE, "important")


# Reading -----------------------------------------------------------------------------------------------------------


@bp.route("/cases/<reference>")
@requires(Area.CASEWORK_READ)
def case(reference: str):
    found = case_or_404(reference)
    session, today = db_session(), uk_today()
    since = placement_since(found)
    page = render_template(
        "staff/case.html",
        case=found,
        child=found.child,
        timeline=case_queries.case_timeline(session, found),
        checks=case_queries.case_checks(found, today),
        placement_since=since,
        placement_attendance=(
            attendance_queries.attendance_since(session, found.child_id, since, found.placed_school_id)
            if since
            else None
        ),
        **_page_helpers(),
    )
    records.record_view(session, current_user, "case", found.id)
    return page


def placement_since(case) -> date | None:
    """The day a placed child went on roll (as the officer recorded it), or the day they were located."""
    if case.placed_school_id is None:
        return None
    details = case.outcome_details or {}
    recorded = details.get("on_roll_from") or details.get("date")
    if recorded:
        try:
            return date.fromisoformat(recorded)
        except ValueError:
            pass
    return case.located_on or case.opened_at.date()


@bp.route("/children/<int:child_id>")
@requires(Area.CASEWORK_READ)
def child(child_id: int):
    session = db_session()
    found = case_queries.child_by_id(session, child_id)
    if found is None:
        abort(404)
    page = render_template(
        "staff/child.html", child=found, records=case_queries.child_records(session, found), **_page_helpers()
    )
    records.record_view(session, current_user, "child", found.id)
    return page


# The case's details ------------------------------------------------------------------------------------------------


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@bp.route("/cases/<reference>/details", methods=["GET", "POST"], endpoint="case_details")
@requires(Area.CASEWORK_WRITE)
def edit_case_details(reference: str):
    found = case_or_404(reference)
    today = uk_today()
    if request.method == "GET":
        form = CaseDetailsForm(
            data={
                "risk_level": found.risk_level,
                "missing_since": found.missing_since,
                "primary_reason": found.primary_reason,
                "version": found.version,
            }
        )
        return _case_details_page(form, found)
    form = CaseDetailsForm()
    answers = {
        "risk_level": form.risk_level.data,
        "missing_since": form.missing_since.data,
        "primary_reason": form.primary_reason.data,
    }
    if not form.fresh():
        form.show(records.case_details_problems(found, today=today, **answers))
        return _case_details_page(form, found)
    try:
        changed = records.update_case_details(
            db_session(), found, current_user, today, version=form.version.data, **answers
        )
    except StaleEdit as stale:
        return _case_details_page(_stale(form, stale, found.version), found, stale=True)
    except Refused as refused:
        form.show(refused.problems)
        return _case_details_page(form, found)
    if not changed:
        return _back_to_case(found, "Nothing was changed", "important")
    return _back_to_case(found, "Case details saved: " + "; ".join(_lower_first(line) for line in changed))


def _stale(form, stale: StaleEdit, version):
    """The form as typed, told that someone else saved first, now carrying the record's current version: the page
    shows the record as it is, and saving again is a fresh decision."""
    form.refuse(stale_message(stale.what))
    form.version.data = version
    return form


def _case_details_page(form: CaseDetailsForm, found: Case, stale: bool = False):
    return render_template("staff/case_details.html", form=form, case=found, stale=stale, **_page_helpers())


# The child's details -----------------------------------------------------------------------------------------------


def _child_answers(form: ChildDetailsForm) -> ChildAnswers:
    return ChildAnswers(
        first_name=form.first_name.data,
        middle_names=form.middle_names.data,
        last_name=form.last_name.data,
        other_names=form.other_names.data,
        date_of_birth=form.date_of_birth.data,
        sex=form.sex.data,
        upn=form.upn.data,
        address_line_1=form.address_line_1.data,
        address_line_2=form.address_line_2.data,
        town=form.town.data,
        postcode=form.postcode.data,
        phone=form.phone.data,
        looked_after=form.looked_after.data == "yes",
        send_status=form.send_status.data,
        vulnerable_groups=form.vulnerable_groups.data,
    )


@bp.route("/children/<int:child_id>/details", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def child_details(child_id: int):
    session, today = db_session(), uk_today()
    found = case_queries.child_by_id(session, child_id)
    if found is None:
        abort(404)
    if request.method == "GET":
        data = {name: getattr(found, name) for name in records.CHILD_FIELDS}
        data["looked_after"] = "yes" if found.looked_after else "no"
        data["seen"] = found.updated_at.isoformat()
        return _child_details_page(ChildDetailsForm(data=data), found)
    form = ChildDetailsForm()
    answers = _child_answers(form)
    if not form.fresh():
        form.show(records.checked_child(answers, today)[1])
        return _child_details_page(form, found)
    try:
        changed = records.update_child(session, found, current_user, today, seen=form.seen.data, answers=answers)
    except StaleEdit as stale:
        form.refuse(stale_message(stale.what))
        session.refresh(found)
        form.seen.data = found.updated_at.isoformat()
        return _child_details_page(form, found, stale=True)
    except Refused as refused:
        form.show(refused.problems)
        return _child_details_page(form, found)
    flash("The child's details were saved" if changed else "Nothing was changed", "success" if changed else "important")
    return redirect(url_for("staff.child", child_id=found.id))


def _child_details_page(form: ChildDetailsForm, found: Child, stale: bool = False):
    return render_template("staff/child_details.html", form=form, child=found, stale=stale, **_page_helpers())


# Checks -------------------------------------------------------------------------------------------------------------


@bp.route("/cases/<reference>/checks/<int:check_id>", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def record_check(reference: str, check_id: int):
    found = case_or_404(reference)
    check = _check_or_404(found, check_id)
    if not found.is_open:
        return _closed(found)
    today = uk_today()
    if request.method == "GET":
        form = RecordCheckForm(
            data={
                "asked_on": check.asked_on,
                "answered_on": check.answered_on,
                "result": check.result,
                "answer": check.answer,
                "version": check.version,
            }
        )
        return _check_page("staff/check_record.html", form, found, check)
    form = RecordCheckForm()
    answers = {
        "asked_on": form.asked_on.data,
        "answered_on": form.answered_on.data,
        "result": form.result.data,
        "answer": form.answer.data,
    }
    if not form.fresh():
        form.show(recording_problems(**answers, today=today))
        return _check_page("staff/check_record.html", form, found, check)
    try:
        check_service.record_check(db_session(), check, current_user, today, version=form.version.data, **answers)
    except StaleEdit as stale:
        db_session().refresh(check)
        return _check_page("staff/check_record.html", _stale(form, stale, check.version), found, check, stale=True)
    except Refused as refused:
        form.show(refused.problems)
        return _check_page("staff/check_record.html", form, found, check)
    label = check_label(check.check_type, check.description, check.other_authority)
    done = "answer recorded" if check.status == CheckStatus.DONE else "recorded as asked"
    return _back_to_case(found, f"{label}: {done}")


@bp.route("/cases/<reference>/checks/<int:check_id>/not-applicable", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def check_not_applicable(reference: str, check_id: int):
    found = case_or_404(reference)
    check = _check_or_404(found, check_id)
    if not found.is_open:
        return _closed(found)
    if request.method == "GET":
        form = NotApplicableForm(data={"reason": check.not_applicable_reason, "version": check.version})
        return _check_page("staff/check_not_applicable.html", form, found, check)
    form = NotApplicableForm()
    if not form.fresh():
        form.show(not_applicable_problems(form.reason.data))
        return _check_page("staff/check_not_applicable.html", form, found, check)
    try:
        check_service.mark_not_applicable(
            db_session(), check, current_user, version=form.version.data, reason=form.reason.data
        )
    except StaleEdit as stale:
        db_session().refresh(check)
        page = _stale(form, stale, check.version)
        return _check_page("staff/check_not_applicable.html", page, found, check, stale=True)
    except Refused as refused:
        form.show(refused.problems)
        return _check_page("staff/check_not_applicable.html", form, found, check)
    return _back_to_case(
        found, f"{check_label(check.check_type, check.description, check.other_authority)}: not needed"
    )


def _check_page(template: str, form, found: Case, check: Enquiry, stale: bool = False):
    return render_template(
        template,
        form=form,
        case=found,
        check=check,
        check_name=check_label(check.check_type, check.description, check.other_authority),
        stale=stale,
        **_page_helpers(),
    )


@bp.route("/cases/<reference>/checks/new", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def add_check(reference: str):
    found = case_or_404(reference)
    if not found.is_open:
        return _closed(found)
    settings, today = case_settings(), uk_today()
    form = AddCheckForm()
    if request.method == "POST":
        answers = {
            "check_type": form.check_type.data,
            "description": form.description.data or None,
            "other_authority": form.other_authority,
            "due_on": form.due_on.data,
        }
        if not form.fresh():
            form.show(adding_problems(**answers, today=today))
        else:
            try:
                added = check_service.add_check(db_session(), found, current_user, today, settings, **answers)
            except Refused as refused:
                form.show(refused.problems)
            else:
                name = check_label(added.check_type, added.description, added.other_authority)
                return _back_to_case(found, f"Check added: {name}, due {long_date(added.due_on)}")
    usual = {kind.value: due_school_days(kind, settings.due_days) for kind in CheckType}
    return render_template("staff/check_add.html", form=form, case=found, usual=usual, **_page_helpers())


# Contacts -----------------------------------------------------------------------------------------------------------


@bp.route("/cases/<reference>/contacts/new", methods=["GET", "POST"])
@requires(Area.CASEWORK_WRITE)
def add_contact(reference: str):
    found = case_or_404(reference)
    now = uk_now()
    if request.method == "GET":
        form = ContactForm(data={"occurred_on": now.date(), "occurred_time": moment(now).split(", ")[1]})
        return _contact_page(form, found)
    form = ContactForm()
    answers = {
        "kind": form.kind.data,
        "occurred_at": form.occurred_at(),
        "with_whom": form.with_whom.data,
        "outcome": form.outcome.data,
        "text": form.text.data,
    }
    fresh = form.fresh()
    form.show(form.missing_parts())
    if not fresh or form.errors:
        form.show(contact_problems(**answers, now=now))
        return _contact_page(form, found)
    try:
        note = records.add_contact(db_session(), found, current_user, now, **answers)
    except Refused as refused:
        form.show(refused.problems)
        return _contact_page(form, found)
    return _back_to_case(found, f"{label_of(ContactKind, note.kind, missing='Not known')} logged")


def _contact_page(form: ContactForm, found: Case):
    return render_template("staff/contact_add.html", form=form, case=found, **_page_helpers())
