"""A school's part-time timetables: the list with this term's return, each timetable with its history, its
update, extend and end pages, and the termly return. A timetable is found by its notice's reference within the
signed-in user's school only: another school's is not found (404)."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextInput
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField

from portal.database import db_session
from portal.schools.routes import bp
from portal.templating import long_date
from shared.clock import UK, uk_today, utcnow
from shared.domain.problems import Problem, Refused
from shared.domain.roles import Area
from shared.domain.terms import RETURN_REMINDER_SCHOOL_DAYS, ReturnSchedule, return_schedule
from shared.models import PartTimeTimetable
from shared.services import timetables as service
from shared.services.calendar import school_calendar
from shared.services.timetables import ACTIVE, ENDED, OUTCOMES, TEXT_LIMIT, ReturnRefused
from webcommon.access import requires
from webcommon.forms import BaseForm, CharacterCount, DatePartsField, Radios, held, limit

# Forms


def _hours(value: float) -> str:
    return f"{value:g}"


class UpdateTimetableForm(BaseForm):
    hours_per_week = StringField("Hours a week in school", widget=GovTextInput(), description="For example, 12.5")
    reason = TextAreaField(
        "Reason for the part-time timetable",
        widget=CharacterCount(),
        validators=[limit("Reason", TEXT_LIMIT)],
    )
    review_date = DatePartsField("Review date", name_in_errors="Review date", description="For example, 14 1 2027")
    agreed_with_parents = RadioField(
        "Have the parents agreed to the timetable?",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        widget=Radios(),
        validate_choice=False,
    )


class ExtendTimetableForm(BaseForm):
    review_date = DatePartsField(
        "New review date", name_in_errors="New review date", description="For example, 1 2 2027"
    )
    reason = TextAreaField(
        "Why is the timetable being extended?",
        widget=CharacterCount(),
        validators=[limit("Why it is being extended", TEXT_LIMIT)],
    )


class EndTimetableForm(BaseForm):
    ended_on = DatePartsField(
        "When did the part-time timetable end?",
        name_in_errors="End date",
        description="The last day the pupil was on it. For example, 4 12 2026",
    )
    outcome = RadioField(
        "What happens next?",
        choices=[SelectChoice(value, label) for value, label in OUTCOMES.items()],
        widget=Radios(),
        validate_choice=False,
    )
    details = TextAreaField(
        "Details (needed if you chose something else)",
        widget=CharacterCount(),
        validators=[limit("What happens next", TEXT_LIMIT)],
    )


class TimetableReturnForm(BaseForm):
    confirm = BooleanField("I confirm", widget=GovCheckboxInput())
    # What the page showed, sent back so a list changed by a colleague meanwhile is never returned unseen.
    seen = HiddenField()
    replaces = HiddenField()


def _fresh(form: BaseForm) -> bool:
    """Check the form's token (and length limits): a page held back (open too long, or sent while the database
    failed) keeps what was typed, with the message. The rest is the service's to decide."""
    form.validate()
    if held():
        _show(form, [])
        return False
    return True


def _show(form: BaseForm, problems: list[Problem]) -> None:
    """Put the service's problems on the fields; a date's own boxes say what is wrong with them first."""
    for field in form:
        if isinstance(field, DatePartsField) and field.problem:
            field.errors = [field.problem]
    for problem in problems:
        field = form._fields.get(problem.field) if problem.field else None
        if field is None:
            form.form_errors.append(problem.message)
        elif not field.errors:
            field.errors = [problem.message]


# Looking things up


def _timetable(reference: str) -> PartTimeTimetable:
    found = service.find_timetable(db_session(), current_user.school_id, reference)
    if found is None:  # another school's timetable is as good as not there
        abort(404)
    return found


def _schedule() -> ReturnSchedule:
    days = current_app.config.get("TIMETABLE_RETURN_REMINDER_SCHOOL_DAYS", RETURN_REMINDER_SCHOOL_DAYS)
    return return_schedule(uk_today(), school_calendar(db_session()), days)


def _ended(timetable: PartTimeTimetable):
    flash(f"This part-time timetable ended on {long_date(timetable.ended_on)}, so it cannot be changed", "important")
    return redirect(url_for("schools.timetable", reference=timetable.notice.reference))


def _done(timetable: PartTimeTimetable, message: str):
    flash(message, "success")
    return redirect(url_for("schools.timetable", reference=timetable.notice.reference))


# The list and one timetable


@bp.route("/part-time-timetables")
@requires(Area.SCHOOL_NOTICES)
def timetables():
    session, schedule = db_session(), _schedule()
    return render_template(
        "schools/timetables/list.html",
        current=service.school_timetables(session, current_user.school_id, ACTIVE),
        ended=service.school_timetables(session, current_user.school_id, ENDED),
        schedule=schedule,
        made=service.term_return(session, current_user.school_id, schedule.term.key),
        today=uk_today(),
    )


def _at(value: str) -> str:
    when = datetime.fromisoformat(value).astimezone(UK)
    return f"{long_date(when)}, {when:%-I:%M}{when:%p}".replace("AM", "am").replace("PM", "pm")


def _shown(name: str, value) -> str:
    if value is None:
        return "none"
    if name == "hours_per_week":
        return _hours(value)
    if name in ("review_date", "ended_on"):
        return long_date(date.fromisoformat(value))
    if name == "agreed_with_parents":
        return "Yes" if value else "No"
    if name == "status":
        return "Current" if value == ACTIVE else "Ended"
    return value


ACTIONS = {"update": "Updated", "extend": "Extended", "end": "Ended"}


def history(timetable: PartTimeTimetable) -> list[dict]:
    """Each change, newest first, in words."""
    changes = []
    for entry in reversed(timetable.changes):
        lines = []
        for name, after in entry["to"].items():
            before = entry["from"].get(name)
            label = service.FIELD_LABELS[name]
            if before is None:
                lines.append(f"{label}: {_shown(name, after)}")
            else:
                lines.append(f"{label}: {_shown(name, before)}, changed to {_shown(name, after)}")
        if entry.get("reason"):
            lines.append(f"Why: {entry['reason']}")
        changes.append(
            {"when": _at(entry["at"]), "by": entry["by"], "action": ACTIONS[entry["action"]], "lines": lines}
        )
    return changes


@bp.route("/part-time-timetables/<reference>")
@requires(Area.SCHOOL_NOTICES)
def timetable(reference: str):
    found = _timetable(reference)
    return render_template(
        "schools/timetables/timetable.html", timetable=found, history=history(found), today=uk_today(), hours=_hours
    )


# Changing a timetable


@bp.route("/part-time-timetables/update/<reference>", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def update_timetable(reference: str):
    found = _timetable(reference)
    if found.status != ACTIVE:
        return _ended(found)
    if request.method == "GET":
        form = UpdateTimetableForm(
            data={
                "hours_per_week": _hours(found.hours_per_week),
                "reason": found.reason,
                "review_date": found.review_date,
                "agreed_with_parents": "yes" if found.agreed_with_parents else "no",
            }
        )
    else:
        form = UpdateTimetableForm()
        if _fresh(form):
            try:
                service.update_timetable(
                    db_session(),
                    found,
                    current_user,
                    utcnow(),
                    hours_per_week=form.hours_per_week.data or "",
                    reason=form.reason.data or "",
                    review_date=form.review_date.data,
                    agreed_with_parents=form.agreed_with_parents.data or "",
                )
            except Refused as refused:
                _show(form, refused.problems)
            else:
                return _done(found, "Part-time timetable updated")
    return render_template("schools/timetables/update.html", form=form, timetable=found)


@bp.route("/part-time-timetables/extend/<reference>", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def extend_timetable(reference: str):
    found = _timetable(reference)
    if found.status != ACTIVE:
        return _ended(found)
    form = ExtendTimetableForm()
    if request.method == "POST" and _fresh(form):
        try:
            service.extend_timetable(
                db_session(),
                found,
                current_user,
                utcnow(),
                uk_today(),
                review_date=form.review_date.data,
                reason=form.reason.data or "",
            )
        except Refused as refused:
            _show(form, refused.problems)
        else:
            return _done(found, f"Part-time timetable extended: the next review is on {long_date(found.review_date)}")
    return render_template("schools/timetables/extend.html", form=form, timetable=found)


@bp.route("/part-time-timetables/end/<reference>", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def end_timetable(reference: str):
    found = _timetable(reference)
    if found.status != ACTIVE:
        return _ended(found)
    form = EndTimetableForm()
    if request.method == "POST" and _fresh(form):
        action = request.form.get("action", "check")
        outcome, details = form.outcome.data or "", form.details.data or ""
        problems = service.check_ending(found, form.ended_on.data, outcome, details, uk_today())
        if action == "change":
            pass  # back to the answers, as they were
        elif problems:
            _show(form, problems)
        elif action == "end":
            try:
                service.end_timetable(
                    db_session(),
                    found,
                    current_user,
                    utcnow(),
                    uk_today(),
                    ended_on=form.ended_on.data,
                    outcome=outcome,
                    details=details,
                )
            except Refused as refused:
                _show(form, refused.problems)
            else:
                return _done(found, "Part-time timetable ended")
        else:
            return render_template(
                "schools/timetables/check_end.html",
                form=form,
                timetable=found,
                outcome=service.end_reason(outcome, details),
            )
    return render_template("schools/timetables/end.html", form=form, timetable=found)


# The termly return


@bp.route("/part-time-timetables/return", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def timetable_return():
    session, schedule, school = db_session(), _schedule(), current_user.school
    form = TimetableReturnForm()
    if request.method == "POST" and _fresh(form):
        seen = (form.seen.data or "").split()
        if not form.confirm.data:
            form.confirm.errors = [
                "Confirm that these are all your school's current part-time timetables and each is right"
                if seen
                else "Confirm that no pupils at your school are on a part-time timetable"
            ]
        else:
            try:
                service.make_return(
                    session, school, current_user, schedule, utcnow(), seen=seen, replaces=form.replaces.data or ""
                )
            except ReturnRefused as refused:
                form.form_errors.append(str(refused))
                form.confirm.data = False
            else:
                return redirect(url_for("schools.timetable_return_made"))
    current = service.school_timetables(session, school.id, ACTIVE)
    made = service.term_return(session, school.id, schedule.term.key)
    # The hidden fields always say what this page shows: confirming it returns exactly this list.
    form.seen.data = " ".join(timetable.notice.reference for timetable in current)
    form.replaces.data = service.return_version(made)
    form.confirm.label.text = (
        "I confirm these are all our pupils on part-time timetables, and each one is right"
        if current
        else f"I confirm no pupils at {school.name} are on a part-time timetable"
    )
    return render_template(
        "schools/timetables/return.html",
        form=form,
        current=current,
        made=made if made is not None and made.submitted_at else None,
        schedule=schedule,
        today=uk_today(),
    )


@bp.route("/part-time-timetables/return-made")
@requires(Area.SCHOOL_NOTICES)
def timetable_return_made():
    schedule = _schedule()
    made = service.term_return(db_session(), current_user.school_id, schedule.term.key)
    if made is None or made.submitted_at is None:
        return redirect(url_for("schools.timetable_return"))
    return render_template("schools/timetables/return_made.html", made=made, schedule=schedule)
