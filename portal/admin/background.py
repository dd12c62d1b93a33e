"""The background work as admins see it: the workers and when each was last heard from, the queue, each piece of
scheduled work with its last run, the outbox and the attendance files being worked on."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from portal.attendance import jobs as attendance_jobs
from portal.database import db_session
from portal.tasks import engine, schedule
from shared.clock import utcnow
from shared.domain.roles import Area
from shared.models import AttendanceImport
from shared.services import mail
from webcommon.access import requires

bp = Blueprint("admin_background", __name__, url_prefix="/admin/background-work")


@bp.route("")
@requires(Area.ADMIN)
def index():
    session = db_session()
    now = utcnow()
    waiting, given_up = mail.outbox_counts(session)
    files = session.scalars(
        select(AttendanceImport)
        .where(AttendanceImport.status.in_(attendance_jobs.RUNNING))
        .order_by(AttendanceImport.uploaded_at)
    ).all()
    state = engine.queue_state(now)
    return render_template(
        "admin/background.html",
        now=now,
        state=state,
        alive=engine.seen_alive(now) if state.reachable else None,
        runs=schedule.last_runs(session, current_app.config),
        outbox_waiting=waiting,
        outbox_given_up=given_up,
        files=files,
        jobs=attendance_jobs,
    )
