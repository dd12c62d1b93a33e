"""The CME team's intake: the queue of everything waiting for a decision, and triage of each item (which child it
is about, then a new case, the child's open case, or closing it with a reason). Every staff role reads them and
each look is audited; deciding is for officers, the lead and admins (a manager sees the page without the form).

The pages are the same for every kind of item (shared.services.intake.KINDS). What a kind's items say of
themselves in the queue and on the triage page is its template's, staff/intake/<kind>.html."""

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
from shared import clock
from shared.domain import vocab
from shared.domain.problems import Refused
from shared.domain.reference import InvalidReference, normalise_reference
from shared.domain.roles import Area, may
from shared.domain.vocab import ReferralStatus, RiskLevel, label_of
from shared.queries import intake as queries
from shared.reference_data import primary_reason_label
from shared.services import intake as triage_service
from shared.services.intake import KINDS, AlreadyTriaged, is_waiting, kind_of, match_band
from shared.services.intake.base import IntakeKind
from shared.services.schools import schools_for_picker
from webcommon.access import requires

BAND_TAGS = {"Strong match": "govuk-tag--green", "Possible match": "govuk-tag--yellow", "Weak match": "govuk-tag--grey"}
# A waiting item's status is blue, yellow once an officer has picked it up.
PICKED_UP_TAGS = {ReferralStatus.IN_TRIAGE: "govuk-tag--yellow"}


# What the kinds' templates may use to say what an item is, beside the filters every page has.
SHOWN_WITH = {
    "label": lambda vocabulary, code: label_of(vocabulary, code, missing=""),
    "vocab": vocab,
    "report_sections": summary.sections,
    "notice_rows": notice_rows,
}


def _page_number(value: str) -> int:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else 1


# The queue --------------------------------------------------------------------------------------------------------


@bp.route("/intake")
@requires(Area.CASEWORK_READ)
def intake():
    """Everything waiting for a decision, urgent first, then oldest first, narrowed by source and status. A filter
    value that is not one of the options (an edited link) is ignored."""
    sources = [value for value in request.args.getlist("source") if value in _values(queries.source_options())]
    statuses = [value for value in request.args.getlist("status") if value in _values(queries.status_options())]
    kinds = queries.kinds_in_queue(authority_settings().long_absence_is_cme)
    found = queries.intake_queue(
        db_session(),
        sources=sources,
        statuses=statuses,
        page=_page_number(request.args.get("page", "1")),
        kinds=kinds,
    )
    calendar, today = case_settings().calendar, clock.uk_today()
    ages = {
        row.reference: calendar.working_days_between(row.received_at.astimezone(clock.UK).date(), today)
        for row in found.rows
    }
    status_labels = dict(queries.status_options())
    return render_template(
        "staff/intake.html",
        found=found,
        ages=ages,
        sources=sources,
        statuses=statuses,
        filtered=bool(sources or statuses),
        query={"source": sources, "status": statuses},
        source_options=queries.source_options(kinds),
        status_options=queries.status_options(kinds),
        status_label=lambda code: status_labels.get(code, code),
        status_tags=PICKED_UP_TAGS,
        **SHOWN_WITH,
    )


def _values(options) -> set[str]:
    return {option.value for option in options}


# Triage -----------------------------------------------------------------------------------------------------------


@requires(Area.CASEWORK_READ)
def triage(kind: str, reference: str):
    """The item, the children on record it may be about, and (for those who may decide) the decision's form."""
    return _show(_item_or_404(kind, reference))


@requires(Area.CASEWORK_WRITE)
def decide(kind: str, reference: str):
    return _decide(_item_or_404(kind, reference))


# Each kind of item's triage page, /staff/intake/referrals/RF-…, /staff/intake/notices/SN-…: its endpoint is
# staff.triage_<kind> (staff.decide_<kind> for the decision), so the permission matrix lists each.
for _kind in KINDS:
    _url = f"/intake/{_kind.name}s/<reference>"
    bp.add_url_rule(_url, f"triage_{_kind.name}", triage, defaults={"kind": _kind.name})
    bp.add_url_rule(_url, f"decide_{_kind.name}", decide, methods=["POST"], defaults={"kind": _kind.name})

_BY_NAME = {kind.name: kind for kind in KINDS}


def _item_or_404(kind: str, reference: str):
    try:
        reference = normalise_reference(reference)
    except InvalidReference:
        abort(404)
    found = _BY_NAME[kind].listed.for_triage(db_session(), reference)
    if found is None:
        abort(404)
    return found


def _triage_url(item) -> str:
    return url_for(f"staff.triage_{kind_of(item).name}", reference=item.reference)


def _schools():
    return schools_for_picker(db_session(), [authority_settings().authority_la_code])


def _choices(kind: IntakeKind, item, form: TriageForm | None):
    """What the page proposes: the children matching found, each with their open cases, and the schools."""
    session = db_session()
    candidates = triage_service.proposed_children(session, item) if is_waiting(item) else []
    open_cases = queries.open_cases_by_child(session, [found.child.id for found in candidates])
    schools = _schools() if form is not None else []
    if form is not None:
        several = {child_id: cases for child_id, cases in open_cases.items() if len(cases) > 1}
        form.offer(kind.noun, candidates, several, schools)
    return candidates, open_cases, schools


def _new_case_preview(item, today) -> dict:
    """What a case opened from this item starts with, in words."""
    defaults = triage_service.new_case_defaults(item, today)
    return {
        "risk": label_of(RiskLevel, defaults.risk_level, missing=""),
        "missing_since": defaults.missing_since,
        "primary_reason": primary_reason_label(defaults.primary_reason),
    }


def _page(item, form: TriageForm | None, candidates, open_cases, status: int = 200):
    kind, today = kind_of(item), clock.uk_today()
    context = {
        "item": item,
        "kind": kind,
        "today": today,
        "waiting": is_waiting(item),
        "status_label": label_of(kind.statuses, item.status, missing=""),
        "candidates": candidates,
        "open_cases": open_cases,
        "band": match_band,
        "band_tags": BAND_TAGS,
        "preview": _new_case_preview(item, today),
        "action_labels": ACTION_LABELS,
        "case_label": case_label,
        **SHOWN_WITH,
    }
    if form is not None:
        context["form"] = form
    return render_template("staff/triage.html", **context), status


def _show(item):
    session, kind = db_session(), kind_of(item)
    may_triage = may(current_user.role, Area.CASEWORK_WRITE)
    triage_service.record_look(session, item, current_user, may_triage and is_waiting(item))
    form = TriageForm(formdata=None) if may_triage and is_waiting(item) else None
    candidates, open_cases, _ = _choices(kind, item, form)
    if form is not None:
        # What the item says already (an alert's pupil is on its school's roll, and the import may know the
        # child) is chosen, for the officer to check.
        school, linked = kind.on_roll_at(item), kind.linked_child(item)
        if school is not None:
            form.school.data = str(school.urn)
        if linked is not None and any(found.child.id == linked for found in candidates):
            form.child.data = str(linked)
    return _page(item, form, candidates, open_cases)


def _decide(item):
    session, kind = db_session(), kind_of(item)
    if not is_waiting(item):
        return _already(item)
    form = TriageForm()
    candidates, open_cases, schools = _choices(kind, item, form)
    if not form.fresh():
        form.show(triage_service.decision_problems(session, item, form.decision(), candidates, schools))
        return _page(item, form, candidates, open_cases)
    try:
        done = triage_service.triage(
            session,
            item,
            form.decision(),
            current_user,
            today=clock.uk_today(),
            settings=case_settings(),
            schools=schools,
            candidates=candidates,
        )
    except AlreadyTriaged:
        return _already(item)
    except Refused as refused:
        form.show(refused.problems)
        return _page(item, form, candidates, open_cases)
    if done.new_case:
        flash(
            f"Case {done.case.reference} opened for {done.child.full_name} from {kind.noun} {item.reference}", "success"
        )
    elif done.case is not None:
        flash(f"{kind.title} {item.reference} added to case {done.case.reference}", "success")
    else:
        flash(f"{kind.title} {item.reference} closed without a case: {item.closed_reason}", "success")
        return redirect(url_for("staff.intake"))
    return redirect(url_for("staff.case", reference=done.case.reference))


def _already(item):
    flash(str(AlreadyTriaged(item)), "important")
    return redirect(_triage_url(item))
