"""Files of attendance marks as their pages show them: the files uploaded lately, one file by its reference, the
alerts its import raised, and the files a worker is on (the admins' page of background work)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.domain.attendance import IN_PROGRESS
from shared.models import AttendanceAlert, AttendanceImport


def recent_files(session: Session, school_id: int | None = None, limit: int = 10) -> list[AttendanceImport]:
    """The files uploaded lately, the latest first: any school's, or one school's own (`school_id`)."""
    query = select(AttendanceImport).order_by(AttendanceImport.uploaded_at.desc()).limit(limit)
    if school_id is not None:
        query = query.where(AttendanceImport.school_id == school_id)
    return list(session.scalars(query))


def file_by_reference(session: Session, reference: str, school_id: int | None = None) -> AttendanceImport | None:
    """The file with the (normalised) reference; with `school_id`, only that school's own (another's is not there)."""
    query = select(AttendanceImport).where(AttendanceImport.reference == reference)
    if school_id is not None:
        query = query.where(AttendanceImport.school_id == school_id)
    return session.scalar(query)


def alerts_raised(session: Session, import_id: int) -> list[AttendanceAlert]:
    """The alerts for long unexplained absence a file's import raised, by reference."""
    return list(
        session.scalars(
            select(AttendanceAlert).where(AttendanceAlert.import_id == import_id).order_by(AttendanceAlert.reference)
        )
    )


def files_in_progress(session: Session) -> list[AttendanceImport]:
    """The files being checked or imported, or waiting for a worker to, the longest waiting first."""
    return list(
        session.scalars(
            select(AttendanceImport)
            .where(AttendanceImport.status.in_(IN_PROGRESS))
            .order_by(AttendanceImport.uploaded_at)
        )
    )
