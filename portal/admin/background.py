"""The background work as admins see it: the workers and when each was last heard from, the queue, each piece of
scheduled work with its last run, the outbox and the attendance files being worked on."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from portal.database import db_session
from portal.tasks import engine, schedule
from shared.clock import utcnow
from shared.domain.attendance import ImportStatus
from shared.domain.roles import Area
from shared.queries import attendance_files, scheduled_runs
from shared.services import mail
from shared.services.attendance_files import waiting
from webcommon.access import requires

bp = Blueprint("admin_background", __name__, url_prefix="/admin/background-work")


@bp.route("")
@requires(Area.ADMIN)
def index():
    session = db_session()
    now = utcnow()
    outbox_waiting, given_up = mail.outbox_counts(session)
    files = attendance_files.files_in_progress(session)
    state = engine.queue_state(now)
    alive = engine.seen_alive(now) if state.reachable else None
    return render_template(
        "admin/background.html",
        now=now,
        state=state,
        scheduled=schedule.entries(current_app.config),
        latest_runs=scheduled_runs.latest_runs(session),
        outbox_waiting=outbox_waiting,
        outbox_given_up=given_up,
        files=files,
        waiting_ids={file.id for file in files if waiting(file, now, alive)},
        statuses=ImportStatus,
    )
