"""`cme sar export`: everything the service holds about one child, for a subject access request (UK GDPR art. 15).

The export is for the council's information governance team to review before anything is disclosed: it holds
third parties' details too (carers, reporters, staff named in the audit trail), which they may need to redact.
Records come in a fixed order (by id) with every column, so two exports of the same data are the same file.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from shared.models import (
    AttendanceAlert,
    AttendancePupil,
    AttendanceWeek,
    AuditEvent,
    Carer,
    Case,
    CaseEvent,
    CaseNote,
    Child,
    Enquiry,
    PartTimeTimetable,
    Referral,
    ReferralAddition,
    SchoolNotice,
    TimetableReturn,
)
from shared.services import audit

# Secrets, not information about the child: hashes of what a reporter or a form was given.
LEFT_OUT = frozenset({"secret_phrase_hash", "submission_key"})


class UnknownChild(LookupError):
    """No child (or more than one) answers to what was given: the message says which."""


@dataclass(frozen=True)
class Export:
    child_id: int
    data: dict[str, Any]

    @property
    def counts(self) -> dict[str, int]:
        """How many records of each kind the export holds (what the audit trail keeps of it)."""
        counted = {key: len(value) for key, value in self.data.items() if isinstance(value, list)}
        counted.update({f"attendance_{key}": len(value) for key, value in self.data["attendance"].items()})
        counted["cases"] = len(self.data["cases"])
        for kind in ("enquiries", "notes", "events"):
            counted[f"case_{kind}"] = sum(len(case[kind]) for case in self.data["cases"])
        counted["referral_additions"] = sum(len(referral["additions"]) for referral in self.data["referrals"])
        return dict(sorted(counted.items()))

    def json(self) -> str:
        return json.dumps(self.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def find_child(session: Session, child_id: int | None = None, upn: str | None = None) -> Child:
    if child_id is not None:
        child = session.get(Child, child_id)
        if child is None:
            raise UnknownChild(f"No child with id {child_id} is held by the service")
        return child
    wanted = (upn or "").strip().upper()
    found = session.scalars(select(Child).where(Child.upn == wanted).order_by(Child.id)).all()
    if not found:
        raise UnknownChild(f"No child with UPN {wanted} is held by the service")
    if len(found) > 1:
        ids = ", ".join(str(child.id) for child in found)
        raise UnknownChild(f"{len(found)} children have UPN {wanted} (ids {ids}): give one with --child")
    return found[0]


def export(session: Session, child: Child, now: datetime) -> Export:
    """Everything held about `child`, as JSON-ready data. The caller records it (`record_export`) and commits."""
    cases = _all(session, select(Case).where(Case.child_id == child.id).order_by(Case.id))
    case_ids = [case.id for case in cases]

    def about(model):
        """Rows linked to the child or one of their cases."""
        return or_(model.child_id == child.id, model.case_id.in_(case_ids))

    referrals = _all(session, select(Referral).where(about(Referral)).order_by(Referral.id))
    additions = _by(session, ReferralAddition, ReferralAddition.referral_id, [item.id for item in referrals])
    upn_match = [child.upn] if child.upn else []
    notices = _all(
        session,
        select(SchoolNotice).where(or_(about(SchoolNotice), SchoolNotice.upn.in_(upn_match))).order_by(SchoolNotice.id),
    )
    notice_ids = [notice.id for notice in notices]
    timetables = _all(
        session,
        select(PartTimeTimetable)
        .where(or_(PartTimeTimetable.notice_id.in_(notice_ids), PartTimeTimetable.upn.in_(upn_match)))
        .order_by(PartTimeTimetable.id),
    )
    returned = _timetables_in_returns(session, notices)
    pupils = _all(
        session,
        select(AttendancePupil)
        .where(or_(AttendancePupil.child_id == child.id, AttendancePupil.upn.in_(upn_match)))
        .order_by(AttendancePupil.id),
    )
    pupil_ids = [pupil.id for pupil in pupils]
    weeks = _all(
        session,
        select(AttendanceWeek)
        .where(AttendanceWeek.pupil_id.in_(pupil_ids))
        .order_by(AttendanceWeek.pupil_id, AttendanceWeek.week_start, AttendanceWeek.school_id),
    )
    alerts = _all(
        session,
        select(AttendanceAlert)
        .where(or_(about(AttendanceAlert), AttendanceAlert.pupil_id.in_(pupil_ids)))
        .order_by(AttendanceAlert.id),
    )
    enquiries = _by(session, Enquiry, Enquiry.case_id, case_ids)
    notes = _by(session, CaseNote, CaseNote.case_id, case_ids)
    events = _by(session, CaseEvent, CaseEvent.case_id, case_ids)
    carers = _all(session, select(Carer).where(Carer.child_id == child.id).order_by(Carer.id))
    objects = {
        "child": [child.id],
        "carer": [row.id for row in carers],
        "case": case_ids,
        "enquiry": [row.id for rows in enquiries.values() for row in rows],
        "case_note": [row.id for rows in notes.values() for row in rows],
        "referral": [row.id for row in referrals],
        "school_notice": notice_ids,
        "part_time_timetable": [row.id for row in timetables],
        "attendance_alert": [row.id for row in alerts],
    }
    data = {
        "export": {"child_id": child.id, "made_at": _plain(now)},
        "child": _row(child),
        "carers": [_row(carer) for carer in carers],
        "cases": [
            {
                **_row(case),
                "enquiries": [_row(row) for row in enquiries.get(case.id, [])],
                "notes": [_row(row) for row in notes.get(case.id, [])],
                "events": [_row(row) for row in events.get(case.id, [])],
            }
            for case in cases
        ],
        "referrals": [
            {**_row(referral), "additions": [_row(row) for row in additions.get(referral.id, [])]}
            for referral in referrals
        ],
        "school_notices": [_row(notice) for notice in notices],
        "part_time_timetables": [_row(timetable) for timetable in timetables],
        "part_time_timetables_in_returns": returned,
        "attendance": {
            "pupils": [_row(pupil) for pupil in pupils],
            "weeks": [_row(week) for week in weeks],
            "alerts": [_row(alert) for alert in alerts],
        },
        "audit_events": [_row(event) for event in _audit_events(session, objects)],
    }
    return Export(child.id, data)


def _timetables_in_returns(session: Session, notices: list[SchoolNotice]) -> list[dict[str, Any]]:
    """The child's entries in their schools' termly part-time timetable returns (each return keeps its own copy of
    every timetable it states); other pupils' entries are not the child's data and stay out."""
    references = {notice.reference for notice in notices}
    school_ids = sorted({notice.school_id for notice in notices})
    if not references:
        return []
    made = session.scalars(
        select(TimetableReturn)
        .where(TimetableReturn.school_id.in_(school_ids))
        .order_by(TimetableReturn.school_id, TimetableReturn.term, TimetableReturn.id)
    )
    return [
        {"return_id": row.id, "term": row.term, "submitted_at": _plain(row.submitted_at), "timetable": entry}
        for row in made
        for entry in row.timetables
        if entry.get("notice") in references
    ]


def record_export(session: Session, made: Export) -> None:
    """The export in the audit trail: which child, and how many records of each kind (never what they say)."""
    audit.record(session, None, "sar_export", "child", made.child_id, after=made.counts, actor_label="command line")


def _all(session: Session, statement) -> list:
    return list(session.scalars(statement))


def _by(session: Session, model, key, ids: list[int]) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in session.scalars(select(model).where(key.in_(ids)).order_by(key, model.id)):
        grouped.setdefault(getattr(row, key.key), []).append(row)
    return grouped


def _audit_events(session: Session, objects: dict[str, list[int]]) -> Iterable[AuditEvent]:
    pairs = [(kind, object_id) for kind, ids in objects.items() for object_id in ids]
    if not pairs:
        return []
    found: list[AuditEvent] = []
    for start in range(0, len(pairs), 500):  # (a bound parameter pair each: databases limit how many)
        chunk = pairs[start : start + 500]
        found += session.scalars(
            select(AuditEvent).where(tuple_(AuditEvent.object_type, AuditEvent.object_id).in_(chunk))
        )
    return sorted(found, key=lambda event: event.id)


def _row(obj) -> dict[str, Any]:
    return {
        column.key: _plain(getattr(obj, column.key)) for column in obj.__table__.columns if column.key not in LEFT_OUT
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Enum):  # a vocabulary's enum member: its code
        return value.value
    return value
