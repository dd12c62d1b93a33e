from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.auth.permissions import requires
from portal.database import db_session
from shared import queries
from shared.clock import uk_today
from shared.domain.casework import CaseStatus
from shared.domain.roles import Area

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@requires(Area.CASEWORK_READ)
def home():
    session = db_session()
    today = uk_today()
    return render_template(
        "staff/home.html",
        overview=queries.overview(session, today),
        mine=queries.workload(session, today, current_user.id),
        statuses=list(CaseStatus),
    )
