"""A school uploads its own attendance marks: the team's upload and file pages, held to the school's own marks
and its own files."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from portal.attendance.files import find_import, import_view, upload_view
from portal.schools.routes import bp
from shared.domain.roles import Area
from webcommon.access import requires


@bp.route("/attendance/upload", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def attendance_upload():
    return upload_view(
        school=current_user.school, import_endpoint="schools.attendance_import", back_url=url_for("schools.home")
    )


@bp.route("/attendance/imports/<reference>", methods=["GET", "POST"])
@requires(Area.SCHOOL_NOTICES)
def attendance_import(reference: str):
    return import_view(
        find_import(reference, current_user.school_id),
        import_endpoint="schools.attendance_import",
        upload_url=url_for("schools.attendance_upload"),
        back_url=url_for("schools.home"),
        done_url=url_for("schools.home"),
    )
