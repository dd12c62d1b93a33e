"""A school's file of notices: upload it, check the preview, send every valid notice at once. The steps are the
service's (`shared.services.uploads`); these pages only read the form, call it and show the result."""

from __future__ import annotations

import math

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, TextAreaField

from portal.database import db_session
from portal.schools.routes import bp
from portal.settings import authority_settings
from portal.tasks.work import send_mail_later
from shared.clock import uk_today, utcnow
from shared.domain.notices import EVENT_DATE_LABEL, FIELD_LABELS, TEXT_LIMITS
from shared.domain.roles import Area
from shared.domain.vocab import NoticeKind
from shared.importers.notices_csv import CSV_GUIDE, MAX_ROWS, REQUIRED_COLUMNS, template_csv
from shared.services import uploads as upload_service
from shared.services.calendar import school_calendar
from webcommon.access import requires
from webcommon.forms import BaseForm

SHOWN = 500  # rows shown in each of the preview's tables: a file of 20,000 rows still renders quickly


class UploadForm(BaseForm):
    file = FileField("Upload a file")
    ground = RadioField(
        "Ground for removal of leavers whose next school is not known",
        choices=[SelectChoice(ground.code, f"{ground.code}: {ground.label}") for ground in upload_service.CTF_GROUNDS],
        validate_choice=False,
    )
    enquiries_made = TextAreaField("Enquiries made by the school and the authority")


class GroundForm(BaseForm):
    ground = UploadForm.ground
    enquiries_made = UploadForm.enquiries_made


def _show_error(form: BaseForm, refused: upload_service.UploadRefused) -> None:
    getattr(form, refused.field).errors = list(refused.messages)


def _upload_page(form: UploadForm):
    return render_template(
        "schools/upload.html",
        form=form,
        grounds=upload_service.CTF_GROUNDS,
        required_columns=[FIELD_LABELS[name] + f" ({name})" for name in REQUIRED_COLUMNS],
        max_rows=MAX_ROWS,
        template_kb=math.ceil(len(template_csv().encode("utf-8-sig")) / 1024),
        guide_kb=math.ceil(len(CSV_GUIDE.encode("utf-8")) / 1024),
        enquiries_limit=TEXT_LIMITS["enquiries_made"],
        back_url=url_for("schools.home"),
    )


@bp.route("/notices/upload", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def upload_notices():
    form = UploadForm()
    if request.method == "GET":
        return _upload_page(form)
    if not form.validate():  # held back: its choices are kept, and the file is asked for again
        return _upload_page(form)
    chosen = form.file.data
    if chosen is None or not chosen.filename:
        form.file.errors = ["Select a CSV file or a Common Transfer File"]
        return _upload_page(form)
    session = db_session()
    try:
        options = upload_service.ctf_options(form.ground.data or "", form.enquiries_made.data or "")
        upload = upload_service.store_upload(
            session,
            current_user.school,
            current_user,
            chosen.filename,
            chosen.read(),
            utcnow(),
            uk_today(),
            options,
        )
    except upload_service.UploadRefused as refused:
        _show_error(form, refused)
        return _upload_page(form)
    return redirect(url_for("schools.upload_preview", reference=upload.reference))


def _own_upload(reference: str):
    upload = upload_service.find_upload(db_session(), current_user.school_id, reference)
    if upload is None:  # another school's upload is as good as not there
        abort(404)
    return upload


@bp.route("/notices/upload/<reference>", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def upload_preview(reference: str):
    session = db_session()
    upload = _own_upload(reference)
    if upload.status == upload_service.SENT:
        if request.method == "POST":  # sent already, from another tab or by a second click: show what was sent
            return redirect(url_for("schools.upload_preview", reference=upload.reference))
        return _confirmation(upload)
    if upload.status != upload_service.PREVIEWED:
        abort(404)
    ground_form = GroundForm(ground=upload.options.get("ground"), enquiries_made=upload.options.get("enquiries_made"))
    if request.method == "POST" and not ground_form.validate():
        pass  # a page open too long: the preview again, with the message; nothing is changed or sent
    elif request.method == "POST" and request.form.get("action") == "ground":
        try:
            options = upload_service.ctf_options(ground_form.ground.data or "", ground_form.enquiries_made.data or "")
        except upload_service.UploadRefused as refused:
            _show_error(ground_form, refused)
        else:
            upload_service.change_options(session, upload, options)
            return redirect(url_for("schools.upload_preview", reference=upload.reference))
    elif request.method == "POST":
        return _send(upload)
    preview = upload_service.preview_upload(
        session, upload, uk_today(), absence_is_cme=authority_settings().long_absence_is_cme
    )
    return render_template(
        "schools/upload_preview.html",
        upload=upload,
        preview=preview,
        notices=preview.notices[:SHOWN],
        problems=preview.problems[:SHOWN],
        shown=SHOWN,
        form=ground_form,
        grounds=upload_service.CTF_GROUNDS,
        enquiries_limit=TEXT_LIMITS["enquiries_made"],
        kinds=NoticeKind,
        date_labels=EVENT_DATE_LABEL,
        back_url=url_for("schools.upload_notices"),
        back_text="Upload a different file",
    )


def _send(upload):
    expected = request.form.get("notices", "")
    try:
        sent = upload_service.confirm_upload(
            db_session(),
            upload,
            current_user,
            utcnow(),
            uk_today(),
            school_calendar(db_session()).add_school_days,
            current_app.config["SERVICE_URL"],
            expected=int(expected) if expected.isascii() and expected.isdigit() and len(expected) < 10 else None,
            absence_is_cme=authority_settings().long_absence_is_cme,
        )
    except upload_service.PreviewChanged:
        flash("The notices this file would send have changed since you looked. Check them again before you send.")
        return redirect(url_for("schools.upload_preview", reference=upload.reference))
    except upload_service.NothingToSend:
        return redirect(url_for("schools.upload_preview", reference=upload.reference))
    if sent is not None:
        send_mail_later(sent.outbox_ids)
    return redirect(url_for("schools.upload_preview", reference=upload.reference))


def _confirmation(upload):
    result = upload_service.upload_result(db_session(), upload, limit=SHOWN)
    return render_template(
        "schools/upload_sent.html", upload=upload, result=result, shown=SHOWN, email=current_user.email
    )


@bp.route("/notices/csv-template")
@requires(Area.SCHOOL_NOTICES)
def csv_template():
    # With a byte order mark, so that Excel opens it as UTF-8.
    return Response(
        template_csv().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=notices-template.csv"},
    )


@bp.route("/notices/csv-guide")
@requires(Area.SCHOOL_NOTICES)
def csv_guide():
    return Response(
        CSV_GUIDE.encode("utf-8"),
        mimetype="text/plain",
        headers={"Content-Disposition": "attachment; filename=notices-csv-guide.txt"},
    )
