"""The audit trail of one record, for administrators: who did what to it, when, with the values before and after.
Reading it is itself recorded."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from portal.database import db_session
from portal.staff.routes import bp
from shared.clock import UK
from shared.domain.roles import Area
from shared.models import AuditEvent
from shared.queries import audit as audit_queries
from shared.services import case_details
from webcommon.access import requires

OBJECT_TYPES = {"case": "Case", "child": "Child", "referral": "Referral", "notice": "School notice"}


def _changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    before, after = event.before or {}, event.after or {}
    fields = [name for name in {**before, **after} if before.get(name) != after.get(name)]
    return [(name.replace("_", " ").capitalize(), _plain(before.get(name)), _plain(after.get(name))) for name in fields]


def _plain(value) -> str:
    if value is None or value == "" or value == {} or value == []:
        return "(none)"
    return str(value)


@bp.route("/audit/<object_type>/<int:object_id>")
@requires(Area.AUDIT)
def audit_trail(object_type: str, object_id: int):
    if object_type not in OBJECT_TYPES:
        abort(404)
    session = db_session()
    events = audit_queries.trail(session, object_type, object_id)
    if not events:
        abort(404)
    page = render_template(
        "staff/audit_trail.html",
        events=[(event, _changes(event)) for event in events],
        object_label=OBJECT_TYPES[object_type],
        object_type=object_type,
        object_id=object_id,
        uk=UK,
    )
    case_details.record_view(session, current_user, object_type, object_id, action="audit.viewed")
    return page
