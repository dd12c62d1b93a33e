from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.auth.permissions import requires
from portal.database import db_session
from shared import queries
from shared.domain.roles import Area
from shared.domain.vocab import NoticeKind, NoticeStatus

bp = Blueprint("schools", __name__, url_prefix="/schools")


@bp.route("/")
@requires(Area.SCHOOL_NOTICES)
def home():
    return render_template(
        "schools/home.html",
        school=current_user.school,
        notices=queries.school_notices(db_session(), current_user.school_id),
        kinds=NoticeKind,
        statuses=NoticeStatus,
    )
