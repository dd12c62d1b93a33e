"""Attendance alerts in the intake queue: a pupil's run of unexplained absence that reached 10 school days in
their school's marks. Their statuses are a referral's."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, String, literal, select
from sqlalchemy.orm import Session, selectinload

from shared.domain.vocab import ReferralStatus
from shared.models import AttendanceAlert, AttendancePupil, School
from shared.queries.intake.base import Option, QueueKind, queue_columns

NAME = "alert"
SOURCE = "attendance_alert"


def rows(statuses: Sequence[str], sources: Sequence[str] | None) -> Select:
    """The alerts waiting, with their run as it was when raised (they have one source: nothing to narrow)."""
    return (
        select(
            *queue_columns(
                NAME,
                reference=AttendanceAlert.reference,
                source=literal(SOURCE, String),
                from_name=School.name,
                first_name=AttendanceAlert.pupil_first_name,
                last_name=AttendanceAlert.pupil_last_name,
                date_of_birth=AttendanceAlert.pupil_date_of_birth,
                received_at=AttendanceAlert.raised_at,
                status=AttendanceAlert.status,
                run_start=AttendanceAlert.run_start,
                run_sessions=AttendanceAlert.sessions,
            )
        )
        .join(School, School.id == AttendanceAlert.school_id)
        .where(AttendanceAlert.status.in_(statuses))
    )


def for_triage(session: Session, reference: str) -> AttendanceAlert | None:
    return session.scalar(
        select(AttendanceAlert)
        .where(AttendanceAlert.reference == reference)
        .options(
            selectinload(AttendanceAlert.school),
            selectinload(AttendanceAlert.pupil).selectinload(AttendancePupil.school),
            selectinload(AttendanceAlert.case),
            selectinload(AttendanceAlert.child),
            selectinload(AttendanceAlert.triaged_by),
        )
    )


KIND = QueueKind(
    name=NAME,
    noun="attendance alert",
    model=AttendanceAlert,
    prefix="AA",
    waiting=(ReferralStatus.NEW, ReferralStatus.IN_TRIAGE),
    sources=(Option(SOURCE, "Attendance alert"),),
    rows=rows,
    for_triage=for_triage,
    received=AttendanceAlert.raised_at,
    from_school=AttendanceAlert.school_id,
    long_absence=True,
)
