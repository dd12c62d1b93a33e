"""The service's data model (SQLAlchemy 2 typed models). Import models from here."""

from shared.models.admin import Invitation, ScheduledRun, Setting, TermPeriod
from shared.models.attendance import (
    AttendanceAlert,
    AttendanceImport,
    AttendancePupil,
    AttendanceSchoolWeek,
    AttendanceWeek,
)
from shared.models.audit import AuditChainHead, AuditEvent
from shared.models.base import Base
from shared.models.casework import Case, CaseEvent, CaseNote, Enquiry, ReminderSend
from shared.models.intake import Referral, SchoolNotice
from shared.models.name_keys import keys_for  # noqa: F401  (registers the listener keeping name keys)
from shared.models.people import Carer, Child, ChildNameKey, RecoveryCode, School, User
from shared.models.reports import OutboxMessage, ReferralAddition, ReportDraft
from shared.models.school_work import NoticeUpload, PartTimeTimetable, TimetableReturn

__all__ = [
    "AttendanceAlert",
    "AttendanceImport",
    "AttendancePupil",
    "AttendanceSchoolWeek",
    "AttendanceWeek",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Carer",
    "Case",
    "CaseEvent",
    "CaseNote",
    "Child",
    "ChildNameKey",
    "Enquiry",
    "Invitation",
    "NoticeUpload",
    "OutboxMessage",
    "PartTimeTimetable",
    "RecoveryCode",
    "Referral",
    "ReferralAddition",
    "ReminderSend",
    "ReportDraft",
    "ScheduledRun",
    "School",
    "SchoolNotice",
    "Setting",
    "TermPeriod",
    "TimetableReturn",
    "User",
]
