"""Reads of the audit trail for the page that shows one record's."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from shared.models import AuditEvent, CaseNote, Enquiry


def trail(session: Session, object_type: str, object_id: int) -> list[AuditEvent]:
    """Every event about one record, oldest first. A case's checks and contacts are part of its trail."""
    where: ColumnElement[bool] = (AuditEvent.object_type == object_type) & (AuditEvent.object_id == object_id)
    if object_type == "case":
        checks = select(Enquiry.id).where(Enquiry.case_id == object_id)
        notes = select(CaseNote.id).where(CaseNote.case_id == object_id)
        where = or_(
            where,
            (AuditEvent.object_type == "enquiry") & AuditEvent.object_id.in_(checks),
            (AuditEvent.object_type == "case_note") & AuditEvent.object_id.in_(notes),
        )
    return list(session.scalars(select(AuditEvent).where(where).order_by(AuditEvent.occurred_at, AuditEvent.id)))
