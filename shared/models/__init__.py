"""The service's data model (SQLAlchemy 2 typed models). Import models from here."""

from shared.models.audit import AuditEvent
from shared.models.base import Base, utcnow
from shared.models.casework import Case, CaseNote, Enquiry
from shared.models.intake import Referral, SchoolNotice
from shared.models.people import Carer, Child, School, User
from shared.models.reports import OutboxMessage, ReferralAddition, ReportDraft
from shared.models.school_work import NoticeUpload, PartTimeTimetable, TimetableReturn

__all__ = [
    "AuditEvent",
    "Base",
    "Carer",
    "Case",
    "CaseNote",
    "Child",
    "Enquiry",
    "NoticeUpload",
    "OutboxMessage",
    "PartTimeTimetable",
    "Referral",
    "ReferralAddition",
    "ReportDraft",
    "School",
    "SchoolNotice",
    "TimetableReturn",
    "User",
    "utcnow",
]
