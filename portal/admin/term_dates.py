"""The authority's term dates, which the school-day calendar uses with England's bank holidays: listed by academic
year, added, changed and removed one at a time, or uploaded as a file of several years, and downloaded."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import HiddenField

from portal.database import db_session
from shared.clock import uk_today
from shared.domain import term_dates as rules
from shared.domain.roles import Area
from shared.domain.school_days import Period
from shared.models import TermPeriod
from shared.services import term_dates as service
from webcommon.access import requires
from webcommon.forms import BaseForm, DatePartsField, radios, text

bp = Blueprint("admin_terms", __name__, url_prefix="/admin/term-dates")

UPLOAD_LIMIT = 100_000  # bytes: decades of term dates fit in a few kilobytes
KIND_CHOICES = (("term", "Term"), ("closure", "Closure"))


class PeriodForm(BaseForm):
    kind = radios("Is it a term or a closure?", KIND_CHOICES)
    starts_on = DatePartsField("Start date", name_in_errors="Start date", description="For example, 2 9 2027")
    ends_on = DatePartsField(
        "End date", name_in_errors="End date", description="The last day of it, for example, 22 10 2027"
    )
    description = text(
        "Description",
        rules.DESCRIPTION_LIMIT,
        "For example, Autumn 2027 first half, or Staff training day. The season named says which term a half "
        "term belongs to",
    )

    def period(self) -> Period | None:
        """The period typed, or None with the problems on the fields."""
        if self.kind.data not in rules.KINDS:
            self.kind.errors = ["Select whether it is a term or a closure"]
        for field, name in ((self.starts_on, "start"), (self.ends_on, "end")):
            if field.is_empty:
                field.errors = [f"Enter the {name} date"]
        if self.errors:
            return None
        return Period(self.kind.data, self.starts_on.data, self.ends_on.data, self.description.data or "")


class UploadForm(BaseForm):
    file = FileField("Upload a file")


class ConfirmUploadForm(BaseForm):
    content = HiddenField()


class RemoveForm(BaseForm):
    pass


def _period_or_404(period_id: int) -> TermPeriod:
    found = db_session().get(TermPeriod, period_id)
    if found is None:
        abort(404)
    return found


def _by_year(rows: list[TermPeriod]) -> list[tuple[int, list[Period], list[int]]]:
    """Each academic year's periods, and their rows' ids (for the Change and Remove links)."""
    years = []
    for year, group in groupby(rows, key=lambda row: rules.academic_year(row.starts_on)):
        in_year = list(group)
        years.append((year, [service.as_period(row) for row in in_year], [row.id for row in in_year]))
    return years


@bp.route("")
@requires(Area.ADMIN)
def index():
    periods = service.all_periods(db_session())
    return render_template(
        "admin/term_dates.html",
        years=_by_year(periods),
        warning=rules.coming_term_warning([service.as_period(row) for row in periods], uk_today()),
    )


@bp.route("/download")
@requires(Area.ADMIN)
def download():
    body = rules.write_term_dates(service.as_period(row) for row in service.all_periods(db_session()))
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="term_dates.csv"'},
    )


def _save(form: PeriodForm, save, template: str, **context):
    def page():
        return render_template(template, form=form, **context)

    if request.method == "GET" or not form.fresh():
        return page()
    period = form.period()
    if period is None:
        return page()
    try:
        save(period)
    except service.TermDatesRefused as refused:
        fields = {"end": "ends_on", "description": "description"}
        for field, message in refused.problems:
            target = form._fields.get(fields.get(field or "", ""))
            if target is None:
                form.form_errors.append(message)
            elif not target.errors:
                target.errors = [message]
        return page()
    return None


@bp.route("/add", methods=["GET", "POST"])
@requires(Area.ADMIN)
def add():
    form = PeriodForm(data={"kind": request.args.get("kind", "")} if request.method == "GET" else None)
    saved = []
    answer = _save(
        form, lambda p: saved.append(service.add_period(db_session(), current_user, p)), "admin/term_date_form.html"
    )
    if answer is not None:
        return answer
    flash(f"{rules.period_name(service.as_period(saved[0]))} added", "success")
    return redirect(url_for("admin_terms.index"))


@bp.route("/<int:period_id>/change", methods=["GET", "POST"])
@requires(Area.ADMIN)
def change(period_id: int):
    row = _period_or_404(period_id)
    if request.method == "GET":
        form = PeriodForm(
            data={"kind": row.kind, "starts_on": row.starts_on, "ends_on": row.ends_on, "description": row.description}
        )
    else:
        form = PeriodForm()
    answer = _save(
        form,
        lambda p: service.change_period(db_session(), current_user, period_id, p),
        "admin/term_date_form.html",
        period=row,
    )
    if answer is not None:
        return answer
    flash(f"{rules.period_name(service.as_period(row))} changed", "success")
    return redirect(url_for("admin_terms.index"))


@bp.route("/<int:period_id>/remove", methods=["GET", "POST"])
@requires(Area.ADMIN)
def remove(period_id: int):
    row = _period_or_404(period_id)
    form = RemoveForm()
    name = rules.period_name(service.as_period(row))

    def page():
        return render_template("admin/term_date_remove.html", form=form, period=row, name=name)

    if request.method == "GET" or not form.fresh():
        return page()
    try:
        service.remove_period(db_session(), current_user, period_id)
    except service.TermDatesRefused as refused:
        form.form_errors.extend(message for _, message in refused.problems)
        return page()
    flash(f"{name} removed", "success")
    return redirect(url_for("admin_terms.index"))


@bp.route("/upload", methods=["GET", "POST"])
@requires(Area.ADMIN)
def upload():
    form = UploadForm()

    def page():
        return render_template("admin/term_dates_upload.html", form=form)

    if request.method == "GET" or not form.fresh():  # held back: the message, and the file to choose again
        return page()
    chosen = form.file.data
    raw = chosen.read(UPLOAD_LIMIT + 1) if chosen else b""
    if not raw:
        form.file.errors = ["Select a CSV file of term dates"]
        return page()
    if len(raw) > UPLOAD_LIMIT:
        form.file.errors = ["The file must be smaller than 100 KB"]
        return page()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors = ["The file must be a CSV file saved as UTF-8"]
        return page()
    preview = service.preview_upload(db_session(), content)
    confirm = ConfirmUploadForm(data={"content": content})
    return render_template("admin/term_dates_preview.html", preview=preview, form=confirm, rules=rules)


@bp.route("/upload/confirm", methods=["POST"])
@requires(Area.ADMIN)
def confirm_upload():
    form = ConfirmUploadForm()
    content = form.content.data or ""
    session = db_session()
    if not form.fresh():
        return render_template(
            "admin/term_dates_preview.html", preview=service.preview_upload(session, content), form=form, rules=rules
        )
    try:
        done = service.apply_upload(session, current_user, content)
    except service.TermDatesRefused:
        session.rollback()
        form.refuse("The term dates changed since the file was checked, and the file no longer fits: see below")
        return render_template(
            "admin/term_dates_preview.html", preview=service.preview_upload(session, content), form=form, rules=rules
        )
    years = ", ".join(rules.academic_year_label(year) for year in done.years)
    flash(f"Term dates for {years} replaced: {len(done.added)} added, {len(done.replaced)} replaced", "success")
    return redirect(url_for("admin_terms.index"))
