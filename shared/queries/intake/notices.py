"""School notices in the intake queue: those routed to the CME team (a leaver with no known destination, a pupil's
continuous unexplained absence, ...). A notice the team never had (a joiner, a part-time timetable) is not theirs
to triage."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, String, literal, select
from sqlalchemy.orm import Session, selectinload

from shared.domain.vocab import NoticeStatus
from shared.models import School, SchoolNotice
from shared.queries.intake.base import Option, QueueKind, queue_columns

NAME = "notice"
SOURCE = "school_notice"


def rows(statuses: Sequence[str], sources: Sequence[str] | None) -> Select:
    """The notices waiting (they have one source: nothing to narrow)."""
    return (
        select(
            *queue_columns(
                NAME,
                reference=SchoolNotice.reference,
                source=literal(SOURCE, String),
                detail=SchoolNotice.kind,
                from_name=School.name,
                first_name=SchoolNotice.pupil_first_name,
                last_name=SchoolNotice.pupil_last_name,
                date_of_birth=SchoolNotice.pupil_date_of_birth,
                received_at=SchoolNotice.submitted_at,
                status=SchoolNotice.status,
            )
        )
        .join(School, School.id == SchoolNotice.school_id)
        .where(SchoolNotice.status.in_(statuses))
    )


def for_triage(session: Session, reference: str) -> SchoolNotice | None:
    return session.scalar(
        select(SchoolNotice)
        .where(SchoolNotice.reference == reference, SchoolNotice.routed_to_cme.is_(True))
        .options(
            selectinload(SchoolNotice.school),
            selectinload(SchoolNotice.case),
            selectinload(SchoolNotice.child),
            selectinload(SchoolNotice.triaged_by),
        )
    )


KIND = QueueKind(
    name=NAME,
    noun="school notice",
    model=SchoolNotice,
    prefix="SN",
    waiting=(NoticeStatus.FOR_CME,),
    sources=(Option(SOURCE, "School notice"),),
    rows=rows,
    for_triage=for_triage,
    received=SchoolNotice.submitted_at,
    from_school=SchoolNotice.school_id,
)
