from __future__ import annotations

from flask import Blueprint, render_template

from portal.auth.permissions import requires
from portal.database import db_session
from shared import queries
from shared.domain.roles import Area, Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@requires(Area.ADMIN)
def users():
    return render_template("admin/users.html", users=queries.users_for_admin(db_session()), roles=Role)
